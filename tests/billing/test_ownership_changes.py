"""Owners that change or conflict: nobody keeps what is no longer theirs, whatever the order."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import Engine, text

from tests import stripe_events as se
from tests.billing.helpers import (
    PERIOD_1,
    T0,
    deliver,
    deliver_all,
    entitlements_of,
    event_status,
    owner_metadata,
    rows,
    store_event,
    table_rows,
)
from workers.inbox import Inbox

pytestmark = pytest.mark.usefixtures("empty_stores")
Json = dict[str, object]


def sub_event(created: int, metadata: dict[str, str], products: list[str] | None = None) -> Json:
    sub = se.subscription(
        "sub_own",
        customer="cus_own",
        status="active",
        products=products or ["prod_pro"],
        period_end=PERIOD_1,
        metadata=metadata,
    )
    return se.event("customer.subscription.updated", sub, created=created)


def link_event(created: int, user_id: str) -> Json:
    session = se.checkout_session(
        f"cs_{user_id}",
        mode="subscription",
        customer="cus_own",
        subscription="sub_own",
        metadata=owner_metadata(user_id),
        created=created,
    )
    return se.event("checkout.session.completed", session, created=created)


def test_an_owner_named_later_takes_the_subscription_from_the_customers_owner(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    deliver_all(inbox, clean_db, [link_event(T0, "ua"), sub_event(T0 + 1, {})])
    assert set(entitlements_of(clean_db, "ua")) == {"prod_pro"}

    deliver(inbox, clean_db, sub_event(T0 + 2, owner_metadata("ub")))

    assert entitlements_of(clean_db, "ua") == {}
    assert set(entitlements_of(clean_db, "ub")) == {"prod_pro"}


def test_a_payment_naming_only_its_user_is_that_users_in_the_customers_project(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    pi = se.payment_intent(
        "pi_named",
        amount=500,
        customer="cus_own",
        metadata={"user_id": "u6", "product_id": "prod_book"},
    )
    deliver_all(
        inbox,
        clean_db,
        [link_event(T0, "u7"), se.event("payment_intent.succeeded", pi, created=T0 + 1)],
    )

    assert set(entitlements_of(clean_db, "u6")) == {"prod_book"}
    assert "prod_book" not in entitlements_of(clean_db, "u7")


@pytest.mark.parametrize(
    "first, second",
    [
        ({"metadata": owner_metadata("ua")}, {"metadata": owner_metadata("ub")}),
        ({"metadata": {}, "products": ["prod_a"]}, {"metadata": {}, "products": ["prod_b"]}),
    ],
    ids=["two owners", "two contents of one second"],
)
def test_two_snapshots_of_one_second_give_one_answer_in_either_order(
    inbox: Inbox, clean_db: Engine, project: str, first: dict, second: dict
) -> None:
    events = [sub_event(T0, **first), sub_event(T0, **second)]
    results = []
    for order in itertools.permutations(events):
        with clean_db.begin() as tx:
            tx.execute(text("TRUNCATE subscriptions, entitlements, webhook_events CASCADE"))
        deliver_all(inbox, clean_db, [json.loads(json.dumps(e)) for e in order])
        results.append(
            [
                {k: v for k, v in row.items() if k != "updated_at"}
                for row in table_rows(clean_db, "subscriptions")
            ]
        )
    assert results[0] == results[1]


def test_a_failed_event_is_not_processed_by_a_stray_message(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    event_id = store_event(clean_db, sub_event(T0, owner_metadata("ua")))
    with clean_db.begin() as tx:
        tx.execute(
            text("UPDATE webhook_events SET status = 'failed' WHERE id = :id"), {"id": event_id}
        )

    assert inbox.process(event_id) is None

    assert event_status(clean_db, event_id)["status"] == "failed"
    assert rows(clean_db, "SELECT * FROM subscriptions") == []
