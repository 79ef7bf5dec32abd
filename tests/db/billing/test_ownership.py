"""Who owns what: metadata, a customer linked through Checkout, client_reference_id; and owners
that change or conflict, where nobody keeps what is no longer theirs, whatever the order."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, text

from tests import stripe_events as se
from tests.stripe_events import (
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    T0,
    checkout_session_event,
    invoice_event,
    owner_metadata,
    payment_intent_event,
    subscription_event,
)
from tests.support.state import (
    cached_entitlements,
    customer_row,
    deliver,
    deliver_all,
    entitlements_of,
    project_metrics,
    purchase_grant,
    purchase_row,
    rows,
    subscription_grant,
    subscription_row,
    table_rows,
)
from tests.support.stores import event_row, set_event_status, store_event
from workers.inbox import Inbox

Json = dict[str, Any]


def own_subscription(created: int, metadata: dict[str, str], **fields: Any) -> Json:
    """A snapshot of subscription sub_own of customer cus_own, naming the owner it is given."""
    return subscription_event(
        created, sub_id="sub_own", customer="cus_own", metadata=metadata, **fields
    )


def customer_linked_to(user_id: str, created: int) -> Json:
    """A subscription-mode Checkout Session linking customer cus_own to the user."""
    return checkout_session_event(
        created,
        mode="subscription",
        session_id=f"cs_{user_id}",
        customer="cus_own",
        subscription="sub_own",
        metadata=owner_metadata(user_id),
    )


# --- who owns what -------------------------------------------------------------------------------


def test_client_reference_id_stands_for_user_id(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    event = checkout_session_event(
        T0, metadata={"project_id": PROJECT, "product_id": "prod_book"}, client_reference_id="u7"
    )
    deliver(inbox, clean_db, event)
    assert entitlements_of(clean_db, "u7") == {"prod_book": purchase_grant("pi_1", "prod_book")}
    customer = customer_row(clean_db, "cus_1")
    assert customer is not None and customer["user_id"] == "u7"


@pytest.mark.parametrize("shape", se.SHAPES)
def test_customer_link_gives_later_objects_their_owner(
    inbox: Inbox, clean_db: Engine, project: str, shape: str
) -> None:
    events = [
        checkout_session_event(
            T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
        ),
        subscription_event(T0 + 1, "trialing", shape=shape),
        payment_intent_event(
            T0 + 2, pi_id="pi_2", metadata={"user_id": "u1", "product_id": "prod_book"}
        ),
    ]
    deliver_all(inbox, clean_db, events)
    assert entitlements_of(clean_db, "u1") == {
        "prod_book": purchase_grant("pi_2", "prod_book"),
        "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1),
    }
    assert project_metrics(clean_db)["by_status"] == {"trialing": 1}


@pytest.mark.parametrize("shape", se.SHAPES)
def test_subscription_owned_only_through_a_checkout_session_arriving_last_is_entitled(
    inbox: Inbox,
    clean_db: Engine,
    worker_cache: redis.Redis,
    project: str,
    shape: str,
) -> None:
    before_link = [
        subscription_event(
            T0 + 1, "incomplete", event_type="customer.subscription.created", shape=shape
        ),
        invoice_event(T0 + 2, shape=shape),
        subscription_event(T0 + 3, "active", shape=shape),
        subscription_event(T0 + 50, "active", period_end=PERIOD_2, shape=shape),
    ]
    assert set(deliver_all(inbox, clean_db, before_link)) == {"processed"}
    assert rows(clean_db, "SELECT * FROM entitlements") == []
    session = checkout_session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    assert deliver(inbox, clean_db, session) == "processed"
    expected = {"prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_2)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected


@pytest.mark.parametrize("reverse", [False, True])
def test_customer_is_linked_to_the_owner_it_was_first_seen_with(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    first = checkout_session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    second = checkout_session_event(
        T0 + 100,
        mode="subscription",
        session_id="cs_2",
        subscription="sub_1",
        metadata=owner_metadata("u2"),
    )
    events = [first, second, subscription_event(T0 + 1)]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    customer = customer_row(clean_db, "cus_1")
    assert customer is not None and customer["user_id"] == "u1"
    assert entitlements_of(clean_db, "u1") == {
        "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)
    }
    assert entitlements_of(clean_db, "u2") == {}


@pytest.mark.parametrize("reverse", [False, True])
def test_object_naming_an_unknown_project_is_kept_and_never_attributed(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    ghost = owner_metadata("u1", project_id="ghost", product_id="prod_book")
    events = [
        checkout_session_event(
            T0, mode="subscription", subscription="sub_0", metadata=owner_metadata("u1")
        ),
        subscription_event(T0 + 1, sub_id="sub_ghost", metadata=ghost),
        payment_intent_event(T0 + 2, pi_id="pi_ghost", metadata=ghost),
    ]
    statuses = deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    assert set(statuses) == {"processed"}
    sub = subscription_row(clean_db, "sub_ghost")
    purchase = purchase_row(clean_db, "pi_ghost")
    assert sub is not None and purchase is not None  # kept
    assert (sub["project_id"], purchase["project_id"]) == (None, None)
    assert rows(clean_db, "SELECT * FROM entitlements") == []
    assert project_metrics(clean_db) == {"by_status": {}, "revenue": {}}


# --- owners that change or conflict --------------------------------------------------------------


def test_an_owner_named_later_takes_the_subscription_from_the_customers_owner(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    deliver_all(inbox, clean_db, [customer_linked_to("ua", T0), own_subscription(T0 + 1, {})])
    assert set(entitlements_of(clean_db, "ua")) == {"prod_pro"}

    deliver(inbox, clean_db, own_subscription(T0 + 2, owner_metadata("ub")))

    assert entitlements_of(clean_db, "ua") == {}
    assert set(entitlements_of(clean_db, "ub")) == {"prod_pro"}


def test_a_payment_naming_only_its_user_is_that_users_in_the_customers_project(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    payment = payment_intent_event(
        T0 + 1,
        pi_id="pi_named",
        amount=500,
        customer="cus_own",
        metadata={"user_id": "u6", "product_id": "prod_book"},
    )
    deliver_all(inbox, clean_db, [customer_linked_to("u7", T0), payment])

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
    inbox: Inbox, clean_db: Engine, project: str, first: Json, second: Json
) -> None:
    events = [own_subscription(T0, **first), own_subscription(T0, **second)]
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
    event_id = store_event(clean_db, own_subscription(T0, owner_metadata("ua")))
    set_event_status(clean_db, event_id, "failed")

    assert inbox.process(event_id) is None

    assert event_row(clean_db, event_id)["status"] == "failed"
    assert rows(clean_db, "SELECT * FROM subscriptions") == []
