"""The read API after the workers: an entitlement read straight after an event is `processed`
sees the new state, never an older cached answer; metrics aggregate what the workers stored.

The ingress runs in-process (starlette TestClient, lifespan run); events go through an Inbox
wired as the worker wires it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from shared.cache import STORE_IF_NEWER, dirty_key, encode, entry_key
from shared.entitlements.cache_refresh import EntitlementCache
from shared.entitlements.recompute import Recomputed
from tests import stripe_events as se
from tests.stripe_events import (
    OTHER_PROJECT,
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_DELETED,
    T0,
    owner_metadata,
)
from tests.support.state import (
    create_app_key,
    create_project,
    deliver,
    deliver_all,
    entitlements_of,
    purchase_grant,
    subscription_grant,
)
from workers.inbox import Inbox


class CacheNeverFilled(EntitlementCache):
    """Marks users dirty like the real cache, but the fill after the commit never comes."""

    def store(self, results: Recomputed) -> None:
        pass


Json = dict[str, Any]


def subscription(
    created: int, status: str = "active", *, user: str = "u1", project_id: str = PROJECT,
    **fields: Any,
) -> Json:  # fmt: skip
    """A snapshot of the user's own subscription sub_<user> of customer cus_<user>."""
    return se.subscription_event(
        created, status, sub_id=f"sub_{user}", customer=f"cus_{user}",
        metadata=owner_metadata(user, project_id), **fields,
    )  # fmt: skip


def payment(
    created: int, pi_id: str, amount: int, *, user: str = "u1", project_id: str = PROJECT,
    **fields: Any,
) -> Json:  # fmt: skip
    """A payment of the user's for prod_book, naming its owner and product."""
    return se.payment_intent_event(
        created, pi_id=pi_id, amount=amount, customer=f"cus_{user}",
        metadata=owner_metadata(user, project_id, product_id="prod_book"), **fields,
    )  # fmt: skip


def refund(created: int, pi_id: str, amount: int, refunded: int) -> Json:
    return se.refund_event(created, refunded, pi_id=pi_id, amount=amount, customer=None)


class Reader:
    """An app reading the API with its key."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    def get(self, path: str) -> Json:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    def entitlements(self, user: str = "u1") -> Json:
        body = self.get(f"/api/v1/entitlements/project/{PROJECT}/user/{user}")
        assert (body["project_id"], body["user_id"]) == (PROJECT, user)
        return body["entitlements"]


@pytest.fixture
def reader(ingress: TestClient, clean_db: Engine, project: str) -> Reader:
    return Reader(ingress, create_app_key(clean_db))


def pro(sub_id: str = "sub_u1", period_end: int = PERIOD_1) -> Json:
    return {"prod_pro": subscription_grant(sub_id, "prod_pro", period_end)}


BOOK = {"prod_book": purchase_grant("pi_book", "prod_book")}


# --- entitlements --------------------------------------------------------------------------------


def test_user_never_seen_has_no_entitlements(reader: Reader) -> None:
    assert reader.entitlements("nobody") == {}


def test_entitlement_read_straight_after_processing_sees_the_new_state(
    reader: Reader, inbox: Inbox, clean_db: Engine, redis_client: redis.Redis
) -> None:
    assert reader.entitlements() == {}  # never seen: nothing to cache yet
    steps: list[tuple[Json, Json]] = [
        (subscription(T0, "trialing", event_type=SUBSCRIPTION_CREATED), pro()),
        (subscription(T0 + 10, "active", period_end=PERIOD_2), pro(period_end=PERIOD_2)),
        (payment(T0 + 20, "pi_book", 4900), {**BOOK, **pro(period_end=PERIOD_2)}),
        (subscription(T0 + 30, "unpaid", period_end=PERIOD_2), BOOK),
        (refund(T0 + 40, "pi_book", 4900, 4900), {}),
    ]
    for event, expected in steps:
        assert deliver(inbox, clean_db, event) == "processed"
        assert reader.entitlements() == expected, event["type"]
        assert entitlements_of(clean_db, "u1") == expected
        assert redis_client.exists(entry_key(PROJECT, "u1"))  # so the next read is a cache hit
        assert reader.entitlements() == expected


def test_read_after_an_expired_cache_entry_is_filled_from_postgresql(
    reader: Reader, inbox: Inbox, clean_db: Engine, redis_client: redis.Redis
) -> None:
    deliver(inbox, clean_db, subscription(T0))
    redis_client.delete(entry_key(PROJECT, "u1"))
    assert reader.entitlements() == pro()
    assert redis_client.exists(entry_key(PROJECT, "u1"))
    deliver(
        inbox,
        clean_db,
        subscription(T0 + 10, "canceled", event_type=SUBSCRIPTION_DELETED),
    )
    assert reader.entitlements() == {}


def test_read_sees_the_new_state_even_if_the_cache_refresh_after_commit_never_came(
    reader: Reader, inbox: Inbox, clean_db: Engine
) -> None:
    deliver(inbox, clean_db, subscription(T0))
    assert reader.entitlements() == pro()  # cached
    no_refresh = Inbox(
        replace(inbox.uow, cache=CacheNeverFilled(inbox.uow.cache.client)), inbox.handlers
    )
    deliver(inbox, clean_db, subscription(T0 + 10, "past_due", period_end=PERIOD_2))
    assert reader.entitlements() == pro(period_end=PERIOD_2)
    deliver(no_refresh, clean_db, subscription(T0 + 20, "unpaid"))
    assert reader.entitlements() == {}
    assert reader.entitlements() == {}


def test_a_reader_racing_the_recompute_cannot_put_the_older_answer_back(
    reader: Reader, inbox: Inbox, clean_db: Engine, redis_client: redis.Redis
) -> None:
    deliver(inbox, clean_db, subscription(T0))
    assert reader.entitlements() == pro()
    event = subscription(T0 + 10, "canceled", event_type=SUBSCRIPTION_DELETED)
    fill_held_back = replace(inbox.uow, cache=CacheNeverFilled(inbox.uow.cache.client))
    with fill_held_back.begin() as work:
        work.touch(inbox.handlers[event["type"]](work.tx, event))
        work.flush()
        # Not committed yet: readers see the committed state, and their fill is refused.
        assert reader.entitlements() == pro()
        assert not redis_client.exists(entry_key(PROJECT, "u1"))
    # Committed, cache not yet refreshed: PostgreSQL answers.
    assert reader.entitlements() == {}
    inbox.uow.cache.store(work.recomputed)
    assert reader.entitlements() == {}
    # A slow reader that loaded version 1 before the commit stores it now: refused.
    stale = redis_client.eval(
        STORE_IF_NEWER,
        2,
        entry_key(PROJECT, "u1"),
        dirty_key(PROJECT, "u1"),
        1,
        encode(pro()),
        60,
    )
    assert stale == 0
    assert reader.entitlements() == {}


# --- metrics -------------------------------------------------------------------------------------


def test_subscription_metrics_count_by_status(
    reader: Reader, inbox: Inbox, clean_db: Engine
) -> None:
    create_project(clean_db, OTHER_PROJECT)
    events = [
        subscription(T0, "active", user="u1"),
        subscription(T0, "trialing", user="u2", shape="old"),
        subscription(T0, "past_due", user="u3", shape="plan"),
        subscription(T0, "active", user="u4"),
        subscription(T0 + 5, "canceled", user="u4", event_type=SUBSCRIPTION_DELETED),
        subscription(T0, "unpaid", user="u5"),
        subscription(T0, "active", user="u6", project_id=OTHER_PROJECT),
    ]
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    body = reader.get(f"/api/v1/metrics/project/{PROJECT}/subscriptions")
    assert body == {
        "project_id": PROJECT,
        "active_subscriptions": 3,
        "by_status": {"active": 1, "trialing": 1, "past_due": 1, "canceled": 1, "unpaid": 1},
    }


def test_revenue_metrics_per_currency_in_minor_units(
    reader: Reader, inbox: Inbox, clean_db: Engine
) -> None:
    create_project(clean_db, OTHER_PROJECT)
    subscription_invoice_payment = se.payment_intent_event(
        T0, pi_id="pi_invoice", amount=2000, customer="cus_u1", invoice="in_1", shape="old"
    )
    events = [
        subscription(T0, "active", user="u1"),
        subscription_invoice_payment,
        se.invoice_event(
            T0,
            invoice_id="in_1",
            sub_id="sub_u1",
            customer="cus_u1",
            amount=2000,
            payment_intent="pi_invoice",
            shape="old",
        ),
        se.invoice_event(
            T0, False, invoice_id="in_2", sub_id="sub_u1", customer="cus_u1", amount=2000
        ),
        refund(T0 + 1, "pi_invoice", 2000, 500),
        payment(T0, "pi_a", 4900),
        payment(T0, "pi_b", 2500, user="u2"),
        refund(T0 + 1, "pi_b", 2500, 1000),
        payment(T0, "pi_c", 1500, user="u3"),
        refund(T0 + 1, "pi_c", 1500, 700),
        refund(T0 + 2, "pi_c", 1500, 1500),
        payment(T0, "pi_d", 3000, currency="EUR", user="u4"),
        payment(T0, "pi_e", 999, succeeded=False),
        payment(T0, "pi_f", 5000, project_id=OTHER_PROJECT),
    ]
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    body = reader.get(f"/api/v1/metrics/project/{PROJECT}/revenue")
    assert body == {
        "project_id": PROJECT,
        "currencies": {
            "usd": {"gross": 8900, "refunded": 2500, "net": 6400, "purchases": 3},
            "eur": {"gross": 3000, "refunded": 0, "net": 3000, "purchases": 1},
        },
        "subscriptions": {"usd": {"gross": 2000, "refunded": 500, "net": 1500, "invoices": 1}},
    }
    for totals in body["currencies"].values():
        assert all(type(value) is int for value in totals.values())
    other = Reader(reader.client, create_app_key(clean_db, OTHER_PROJECT))
    assert other.get(f"/api/v1/metrics/project/{OTHER_PROJECT}/revenue")["currencies"] == {
        "usd": {"gross": 5000, "refunded": 0, "net": 5000, "purchases": 1}
    }
