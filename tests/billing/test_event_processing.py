"""Event processing against the real PostgreSQL and Redis: an Inbox wired as the worker wires it
processes events stored in webhook_events (CONTRACT section 3)."""

from __future__ import annotations

import copy
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cli.main import main as billing
from shared.settings import Settings
from tests import stripe_events as se
from tests.billing.helpers import (
    OTHER_PROJECT,
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    T0,
    cached_entitlements,
    create_project,
    customer_row,
    deliver,
    deliver_all,
    entitled_users,
    entitlements_of,
    event_status,
    map_product,
    owner_metadata,
    payment_row,
    project_metrics,
    purchase_row,
    rows,
    store_event,
    subscription_row,
    table_rows,
)
from tests.support.envelopes import post_event
from tests.support.processes import wait_until
from workers.handlers import HANDLERS
from workers.inbox import Inbox

pytestmark = pytest.mark.usefixtures("empty_stores")

REAL_EVENTS = se.REAL_EVENTS_PATH
SUBSCRIPTION_TYPES = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
Json = dict[str, Any]


def at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: int) -> str:
    return at(ts).isoformat().replace("+00:00", "Z")


def wrap(event_type: str, obj: Json, created: int, shape: str = "new") -> Json:
    return se.event(event_type, obj, created=created, api_version=se.api_version_for(shape))


def sub_event(
    created: int,
    status: str = "active",
    *,
    event_type: str = "customer.subscription.updated",
    sub_id: str = "sub_1",
    customer: str = "cus_1",
    products: tuple[str, ...] = ("prod_pro",),
    period_end: int = PERIOD_1,
    metadata: dict[str, str] | None = None,
    cancel_at_period_end: bool = False,
    shape: str = "new",
) -> Json:
    obj = se.subscription(
        sub_id,
        customer=customer,
        status=status,
        products=list(products),
        period_end=period_end,
        created=T0 - 86_400,
        metadata=metadata,
        cancel_at_period_end=cancel_at_period_end,
        shape=shape,
    )
    return wrap(event_type, obj, created, shape)


def pi_event(
    created: int,
    succeeded: bool = True,
    *,
    pi_id: str = "pi_1",
    amount: int = 4900,
    currency: str = "usd",
    customer: str | None = "cus_1",
    metadata: dict[str, str] | None = None,
    invoice: str | None = None,
    shape: str = "new",
) -> Json:
    obj = se.payment_intent(
        pi_id,
        amount=amount,
        currency=currency,
        status="succeeded" if succeeded else "requires_payment_method",
        customer=customer,
        metadata=metadata,
        invoice=invoice,
        created=T0 - 60,
        shape=shape,
    )
    kind = "payment_intent.succeeded" if succeeded else "payment_intent.payment_failed"
    return wrap(kind, obj, created, shape)


def invoice_event(
    created: int,
    paid: bool = True,
    *,
    invoice_id: str = "in_1",
    sub_id: str | None = "sub_1",
    customer: str = "cus_1",
    payment_intent: str | None = None,
    shape: str = "new",
) -> Json:
    obj = se.invoice(
        invoice_id,
        customer=customer,
        subscription_id=sub_id,
        paid=paid,
        payment_intent=payment_intent,
        created=created,
        shape=shape,
    )
    kind = "invoice.payment_succeeded" if paid else "invoice.payment_failed"
    return wrap(kind, obj, created, shape)


def refund_event(created: int, refunded: int, *, pi_id: str = "pi_1", amount: int = 4900) -> Json:
    obj = se.charge(
        f"ch_{pi_id}",
        payment_intent=pi_id,
        amount=amount,
        amount_refunded=refunded,
        customer="cus_1",
        created=T0,
    )
    return wrap("charge.refunded", obj, created)


def session_event(
    created: int,
    *,
    mode: str = "payment",
    session_id: str = "cs_1",
    customer: str | None = "cus_1",
    payment_intent: str | None = "pi_1",
    subscription: str | None = None,
    metadata: dict[str, str] | None = None,
    client_reference_id: str | None = None,
    amount: int | None = 4900,
    payment_status: str = "paid",
) -> Json:
    obj = se.checkout_session(
        session_id,
        mode=mode,
        customer=customer,
        payment_intent=payment_intent if mode == "payment" else None,
        subscription=subscription,
        metadata=metadata,
        client_reference_id=client_reference_id,
        amount_total=amount,
        payment_status=payment_status,
        created=created,
    )
    return wrap("checkout.session.completed", obj, created)


def sub_grant(sub_id: str, product: str, period_end: int) -> Json:
    return {
        "source": "subscription",
        "source_id": sub_id,
        "product_id": product,
        "expires_at": iso(period_end),
    }


def purchase_grant(pi_id: str, product: str) -> Json:
    return {"source": "purchase", "source_id": pi_id, "product_id": product, "expires_at": None}


def state(engine: Engine) -> Json:
    """Everything the workers write, to compare before and after."""
    return {
        table: table_rows(engine, table, skip=())
        for table in (
            "customers",
            "subscriptions",
            "subscription_payments",
            "purchases",
            "entitlements",
            "entitlement_versions",
        )
    }


def without_updated_at(snapshot: Json) -> Json:
    return {
        table: [{k: v for k, v in row.items() if k != "updated_at"} for row in found]
        for table, found in snapshot.items()
    }


# --- each handled type, on both payload shapes ------------------------------------------------


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("event_type", SUBSCRIPTION_TYPES)
def test_subscription_event_stores_its_snapshot(
    inbox: Inbox, clean_db: Engine, project: str, event_type: str, shape: str
) -> None:
    deleted = event_type.endswith("deleted")
    event = sub_event(
        T0,
        "canceled" if deleted else "active",
        event_type=event_type,
        products=("prod_pro", "prod_extra"),
        metadata=owner_metadata("u1"),
        cancel_at_period_end=True,
        shape=shape,
    )
    assert deliver(inbox, clean_db, event) == "processed"
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["project_id"], row["user_id"], row["customer_id"]) == (PROJECT, "u1", "cus_1")
    assert row["status"] == ("canceled" if deleted else "active")
    assert row["deleted"] is deleted
    assert row["product_ids"] == ["prod_pro", "prod_extra"]
    assert row["current_period_end"] == at(PERIOD_1)
    assert row["cancel_at_period_end"] is True
    assert row["snapshot_created"] == T0
    expected = (
        {}
        if deleted
        else {
            "prod_extra": sub_grant("sub_1", "prod_extra", PERIOD_1),
            "prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1),
        }
    )
    assert entitlements_of(clean_db, "u1") == expected


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("paid", [True, False], ids=["payment_succeeded", "payment_failed"])
def test_invoice_event_records_the_payment_outcome_and_leaves_the_status(
    inbox: Inbox, clean_db: Engine, project: str, paid: bool, shape: str
) -> None:
    status = "active" if paid else "past_due"
    deliver(inbox, clean_db, sub_event(T0, status, metadata=owner_metadata("u1"), shape=shape))
    event = invoice_event(T0 + 10, paid, payment_intent="pi_inv_1", shape=shape)
    assert deliver(inbox, clean_db, event) == "processed"
    payment = payment_row(clean_db, "sub_1")
    assert payment is not None
    assert (payment["invoice_id"], payment["outcome"]) == ("in_1", "paid" if paid else "failed")
    assert payment["occurred_at"] == at(T0 + 10)
    sub = subscription_row(clean_db, "sub_1")
    assert sub is not None and sub["status"] == status  # only snapshots set the status
    assert entitlements_of(clean_db, "u1") == {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("succeeded", [True, False], ids=["succeeded", "payment_failed"])
def test_payment_intent_event_records_a_purchase(
    inbox: Inbox, clean_db: Engine, project: str, succeeded: bool, shape: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    event = pi_event(T0, succeeded, currency="EUR", metadata=metadata, shape=shape)
    assert deliver(inbox, clean_db, event) == "processed"
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert (row["project_id"], row["user_id"], row["product_id"]) == (PROJECT, "u1", "prod_book")
    assert (row["amount_minor"], row["currency"]) == (4900, "eur")
    assert row["status"] == ("succeeded" if succeeded else "failed")
    expected = {"prod_book": purchase_grant("pi_1", "prod_book")} if succeeded else {}
    assert entitlements_of(clean_db, "u1") == expected


@pytest.mark.parametrize("shape", se.SHAPES)
def test_charge_refunded_updates_the_purchase(
    inbox: Inbox, clean_db: Engine, project: str, shape: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    deliver(inbox, clean_db, pi_event(T0, metadata=metadata, shape=shape))
    assert deliver(inbox, clean_db, refund_event(T0 + 10, 900)) == "processed"
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert (row["status"], row["amount_refunded_minor"]) == ("partially_refunded", 900)
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}
    assert deliver(inbox, clean_db, refund_event(T0 + 20, 4900)) == "processed"
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert (row["status"], row["amount_refunded_minor"]) == ("refunded", 4900)
    assert entitlements_of(clean_db, "u1") == {}


def test_checkout_session_in_payment_mode_is_a_purchase(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    assert deliver(inbox, clean_db, session_event(T0, metadata=metadata)) == "processed"
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert (row["checkout_session_id"], row["status"], row["amount_minor"]) == (
        "cs_1",
        "succeeded",
        4900,
    )
    customer = customer_row(clean_db, "cus_1")
    assert customer is not None and (customer["project_id"], customer["user_id"]) == (PROJECT, "u1")
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}
    # The PaymentIntent of a Checkout Session carries no metadata of its own.
    assert deliver(inbox, clean_db, pi_event(T0 + 1)) == "processed"
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_unpaid_checkout_session_waits_for_its_payment_intent(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    deliver(inbox, clean_db, session_event(T0, metadata=metadata, payment_status="unpaid"))
    assert entitlements_of(clean_db, "u1") == {}
    deliver(inbox, clean_db, pi_event(T0 + 5))
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_checkout_session_in_subscription_mode_links_the_customer_only(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    event = session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    assert deliver(inbox, clean_db, event) == "processed"
    assert rows(clean_db, "SELECT * FROM purchases") == []
    customer = customer_row(clean_db, "cus_1")
    assert customer is not None and (customer["project_id"], customer["user_id"]) == (PROJECT, "u1")


@pytest.mark.parametrize(
    "event_type",
    [
        "customer.created",
        "invoice.paid",
        "charge.succeeded",
        "customer.subscription.trial_will_end",
        "checkout.session.expired",
        "payment_intent.created",
    ],
)
def test_unhandled_types_end_skipped(
    inbox: Inbox, clean_db: Engine, project: str, event_type: str
) -> None:
    assert event_type not in HANDLERS
    obj = se.subscription(
        "sub_1", customer="cus_1", status="active", products=["prod_pro"], period_end=PERIOD_1
    )
    event = wrap(event_type, obj, T0)
    assert deliver(inbox, clean_db, event) == "skipped"
    stored = event_status(clean_db, event["id"])
    assert (stored["status"], stored["attempts"]) == ("skipped", 1)
    assert stored["processed_at"] is not None
    assert rows(clean_db, "SELECT * FROM subscriptions") == []


# --- idempotence and order --------------------------------------------------------------------


def mixed_history(shape: str) -> list[Json]:
    """Events of every handled type for user u1."""
    return [
        session_event(T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")),
        sub_event(T0 + 1, "active", event_type="customer.subscription.created", shape=shape),
        invoice_event(T0 + 2, payment_intent="pi_inv", shape=shape),
        pi_event(T0 + 3, pi_id="pi_inv", invoice="in_1", shape=shape),
        session_event(
            T0 + 4,
            session_id="cs_2",
            payment_intent="pi_2",
            metadata=owner_metadata("u1", product_id="prod_book"),
        ),
        pi_event(T0 + 5, pi_id="pi_2", shape=shape),
        refund_event(T0 + 6, 100, pi_id="pi_2"),
        invoice_event(T0 + 7, False, invoice_id="in_2", shape=shape),
        sub_event(T0 + 8, "past_due", shape=shape),
        sub_event(T0 + 9, "canceled", event_type="customer.subscription.deleted", shape=shape),
    ]


@pytest.mark.parametrize("shape", se.SHAPES)
def test_processing_the_same_event_twice_changes_nothing(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str, shape: str
) -> None:
    events = mixed_history(shape)
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    before = state(clean_db)
    cache_before = cached_entitlements(worker_cache, "u1")
    for event in events:
        store_event(clean_db, event)  # a duplicate delivery is not stored again
        assert inbox.process(event["id"]) is None
    assert state(clean_db) == before
    assert cached_entitlements(worker_cache, "u1") == cache_before
    assert {event_status(clean_db, e["id"])["attempts"] for e in events} == {1}


@pytest.mark.parametrize("shape", se.SHAPES)
def test_the_same_content_under_a_new_event_id_changes_nothing(
    inbox: Inbox, clean_db: Engine, project: str, shape: str
) -> None:
    events = mixed_history(shape)
    deliver_all(inbox, clean_db, events)
    before = without_updated_at(state(clean_db))
    for event in events:
        copy_ = copy.deepcopy(event)
        copy_["id"] = event["id"] + "_again"
        assert deliver(inbox, clean_db, copy_) == "processed"
    after = without_updated_at(state(clean_db))
    before.pop("entitlement_versions"), after.pop("entitlement_versions")
    assert after == before


@pytest.mark.parametrize("shape", se.SHAPES)
def test_newest_created_wins(inbox: Inbox, clean_db: Engine, project: str, shape: str) -> None:
    meta = owner_metadata("u1")
    newer = sub_event(T0 + 10, "unpaid", period_end=PERIOD_2, metadata=meta, shape=shape)
    older = sub_event(T0, "active", period_end=PERIOD_1, metadata=meta, shape=shape)
    deliver_all(inbox, clean_db, [newer, older])
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["current_period_end"]) == ("unpaid", at(PERIOD_2))
    assert row["snapshot_created"] == T0 + 10
    assert entitlements_of(clean_db, "u1") == {}


@pytest.mark.parametrize("reverse", [False, True], ids=["in_order", "reversed"])
@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("incomplete", "active"),
        ("trialing", "active"),
        ("active", "past_due"),
        ("past_due", "unpaid"),
        ("unpaid", "paused"),
        ("incomplete", "incomplete_expired"),
        ("active", "canceled"),
    ],
)
def test_equal_created_later_lifecycle_state_wins(
    inbox: Inbox, clean_db: Engine, project: str, earlier: str, later: str, reverse: bool
) -> None:
    meta = owner_metadata("u1")
    events = [sub_event(T0, earlier, metadata=meta), sub_event(T0, later, metadata=meta)]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None and row["status"] == later


@pytest.mark.parametrize("gap_s", [-5, 0], ids=["older", "equal_created"])
@pytest.mark.parametrize("reverse", [False, True], ids=["deleted_first", "deleted_last"])
def test_deleted_subscription_never_comes_back(
    inbox: Inbox, clean_db: Engine, project: str, gap_s: int, reverse: bool
) -> None:
    meta = owner_metadata("u1")
    deleted = sub_event(T0, "canceled", event_type="customer.subscription.deleted", metadata=meta)
    alive = sub_event(T0 + gap_s, "active", period_end=PERIOD_2, metadata=meta)
    events = [deleted, alive]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["deleted"]) == ("canceled", True)
    assert entitlements_of(clean_db, "u1") == {}


@pytest.mark.parametrize("gap_s", [10, 0], ids=["failed_later", "equal_created"])
@pytest.mark.parametrize("reverse", [False, True])
def test_payments_never_fall_back_from_succeeded_to_failed(
    inbox: Inbox, clean_db: Engine, project: str, gap_s: int, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [pi_event(T0, True, metadata=meta), pi_event(T0 + gap_s, False, metadata=meta)]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = purchase_row(clean_db, "pi_1")
    assert row is not None and row["status"] == "succeeded"
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_a_newer_success_replaces_a_failure(inbox: Inbox, clean_db: Engine, project: str) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver_all(inbox, clean_db, [pi_event(T0, False, metadata=meta)])
    assert (purchase_row(clean_db, "pi_1") or {})["status"] == "failed"
    deliver_all(inbox, clean_db, [pi_event(T0 + 10, True, metadata=meta)])
    assert (purchase_row(clean_db, "pi_1") or {})["status"] == "succeeded"


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        ((T0 + 10, 3000), (T0 + 5, 1000), "partially_refunded"),
        ((T0 + 10, 4900), (T0 + 20, 1000), "refunded"),
        ((T0 + 10, 1000), (T0 + 20, 3000), "partially_refunded"),
    ],
)
def test_refunded_amount_only_grows(
    inbox: Inbox,
    clean_db: Engine,
    project: str,
    first: tuple[int, int],
    second: tuple[int, int],
    status: str,
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver(inbox, clean_db, pi_event(T0, metadata=meta))
    deliver_all(inbox, clean_db, [refund_event(*first), refund_event(*second)])
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert row["amount_refunded_minor"] == max(first[1], second[1])
    assert row["status"] == status


def test_refund_before_the_payment_intent_still_counts(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver_all(inbox, clean_db, [refund_event(T0 + 10, 4900), pi_event(T0, metadata=meta)])
    row = purchase_row(clean_db, "pi_1")
    assert row is not None and (row["status"], row["amount_refunded_minor"]) == ("refunded", 4900)
    assert entitlements_of(clean_db, "u1") == {}


# --- invoices' PaymentIntents are never purchases ----------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
def test_old_shape_payment_intent_naming_its_invoice_is_never_a_purchase(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [
        sub_event(T0, metadata=owner_metadata("u1"), shape="old"),
        pi_event(T0 + 1, pi_id="pi_inv", invoice="in_1", metadata=meta, shape="old"),
    ]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = purchase_row(clean_db, "pi_inv")
    assert row is not None and row["invoice_id"] == "in_1"
    assert entitlements_of(clean_db, "u1") == {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}
    assert project_metrics(clean_db)["revenue"] == {}


@pytest.mark.parametrize("reverse", [False, True], ids=["invoice_first", "payment_intent_first"])
def test_old_shape_invoice_naming_the_payment_intent_makes_it_no_purchase(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [
        invoice_event(T0 + 1, payment_intent="pi_inv", shape="old"),
        pi_event(T0 + 2, pi_id="pi_inv", metadata=meta, shape="old"),
    ]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = purchase_row(clean_db, "pi_inv")
    assert row is not None and row["invoice_id"] == "in_1"
    assert entitlements_of(clean_db, "u1") == {}
    assert project_metrics(clean_db)["revenue"] == {}


def test_new_shape_invoice_payment_intent_has_no_owner_metadata_and_is_no_purchase(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    events = [
        session_event(T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")),
        sub_event(T0 + 1),
        invoice_event(T0 + 2),
        pi_event(T0 + 3, pi_id="pi_inv"),  # the customer is u1's, but no metadata
    ]
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    assert entitlements_of(clean_db, "u1") == {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}
    assert project_metrics(clean_db)["revenue"] == {}


# --- ownership ---------------------------------------------------------------------------------


def test_client_reference_id_stands_for_user_id(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    event = session_event(
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
        session_event(T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")),
        sub_event(T0 + 1, "trialing", shape=shape),
        pi_event(T0 + 2, pi_id="pi_2", metadata={"user_id": "u1", "product_id": "prod_book"}),
    ]
    deliver_all(inbox, clean_db, events)
    assert entitlements_of(clean_db, "u1") == {
        "prod_book": purchase_grant("pi_2", "prod_book"),
        "prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1),
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
        sub_event(T0 + 1, "incomplete", event_type="customer.subscription.created", shape=shape),
        invoice_event(T0 + 2, shape=shape),
        sub_event(T0 + 3, "active", shape=shape),
        sub_event(T0 + 50, "active", period_end=PERIOD_2, shape=shape),
    ]
    assert set(deliver_all(inbox, clean_db, before_link)) == {"processed"}
    assert rows(clean_db, "SELECT * FROM entitlements") == []
    session = session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    assert deliver(inbox, clean_db, session) == "processed"
    expected = {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_2)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected


@pytest.mark.parametrize("reverse", [False, True])
def test_customer_is_linked_to_the_owner_it_was_first_seen_with(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    first = session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    second = session_event(
        T0 + 100,
        mode="subscription",
        session_id="cs_2",
        subscription="sub_1",
        metadata=owner_metadata("u2"),
    )
    events = [first, second, sub_event(T0 + 1)]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    customer = customer_row(clean_db, "cus_1")
    assert customer is not None and customer["user_id"] == "u1"
    assert entitlements_of(clean_db, "u1") == {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}
    assert entitlements_of(clean_db, "u2") == {}


@pytest.mark.parametrize("reverse", [False, True])
def test_object_naming_an_unknown_project_is_kept_and_never_attributed(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    ghost = owner_metadata("u1", project_id="ghost", product_id="prod_book")
    events = [
        session_event(T0, mode="subscription", subscription="sub_0", metadata=owner_metadata("u1")),
        sub_event(T0 + 1, sub_id="sub_ghost", metadata=ghost),
        pi_event(T0 + 2, pi_id="pi_ghost", metadata=ghost),
    ]
    statuses = deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    assert set(statuses) == {"processed"}
    sub = subscription_row(clean_db, "sub_ghost")
    purchase = purchase_row(clean_db, "pi_ghost")
    assert sub is not None and purchase is not None  # kept
    assert (sub["project_id"], purchase["project_id"]) == (None, None)
    assert rows(clean_db, "SELECT * FROM entitlements") == []
    assert project_metrics(clean_db) == {"by_status": {}, "revenue": {}}


# --- failures ----------------------------------------------------------------------------------


def _malformed(event: Json, **changes: Any) -> Json:
    broken = copy.deepcopy(event)
    broken["data"]["object"].update(changes)
    return broken


MALFORMED_EVENTS = [
    pytest.param({**sub_event(T0), "data": {}}, "event has no data.object", id="no-data-object"),
    pytest.param(
        {**pi_event(T0), "data": {"object": "pi_1"}}, "no data.object", id="object-is-a-string"
    ),
    pytest.param(_malformed(sub_event(T0), status=7), "status must be a string", id="status"),
    pytest.param(
        _malformed(sub_event(T0), items={"data": "all"}), "items", id="subscription-items"
    ),
    pytest.param(
        _malformed(pi_event(T0), amount="49.00"), "amount must be an integer", id="amount"
    ),
    pytest.param(
        _malformed(pi_event(T0), amount=2**70), "amount is out of range", id="amount-range"
    ),
    pytest.param(
        _malformed(session_event(T0), metadata="u1"), "metadata must be an object", id="metadata"
    ),
    pytest.param(
        _malformed(refund_event(T0, 10), amount_refunded=[10]), "amount_refunded", id="refund"
    ),
    pytest.param(
        _malformed(invoice_event(T0, shape="old"), subscription=5), "subscription", id="invoice"
    ),
    pytest.param(
        _malformed(sub_event(T0), object="invoice"), "expected 'subscription'", id="object-type"
    ),
]


@pytest.mark.parametrize(("event", "reason"), MALFORMED_EVENTS)
def test_malformed_handled_event_ends_failed_saying_what_was_wrong(
    inbox: Inbox, clean_db: Engine, project: str, event: Json, reason: str
) -> None:
    assert event["type"] in HANDLERS
    assert deliver(inbox, clean_db, event) == "failed"
    stored = event_status(clean_db, event["id"])
    assert stored["status"] == "failed" and stored["attempts"] == 1
    assert reason in stored["error_message"]
    for table in ("customers", "subscriptions", "purchases", "subscription_payments"):
        assert rows(clean_db, f"SELECT * FROM {table}") == [], table


@pytest.mark.parametrize(("event", "reason"), MALFORMED_EVENTS[:3])
def test_signed_malformed_event_through_the_webhook_ends_failed(
    inbox: Inbox, clean_db: Engine, ingress: TestClient, event: Json, reason: str
) -> None:
    """The whole path: accepted (the envelope is valid, the signature right), then failed."""
    response = post_event(ingress, se.to_body(event))
    assert response.status_code == 200, response.text
    assert inbox.process(event["id"]) == "failed"
    stored = event_status(clean_db, event["id"])
    assert (stored["status"], stored["attempts"]) == ("failed", 1)
    assert reason in stored["error_message"]


def test_a_malformed_event_does_not_stop_the_next_one(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    deliver(inbox, clean_db, {**sub_event(T0), "data": {}})
    assert deliver(inbox, clean_db, sub_event(T0, metadata=owner_metadata("u1"))) == "processed"
    assert entitlements_of(clean_db, "u1") != {}


def real_events() -> list[Json]:
    events: list[Json] = json.loads(REAL_EVENTS.read_text())
    return events


def test_every_real_payload_is_processed_or_skipped(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    for project_id in ("205", "257", "312"):  # projects some payloads' metadata name
        create_project(clean_db, project_id)
    outcomes = {}
    for index, event in enumerate(real_events()):
        event = {**event, "id": f"{event['id']}_{index}"}
        outcomes[(index, event["type"])] = deliver(inbox, clean_db, event)
    assert set(outcomes.values()) <= {"processed", "skipped"}, outcomes
    for (_, event_type), status in outcomes.items():
        assert status == ("processed" if event_type in HANDLERS else "skipped")


# --- cache and mapping -------------------------------------------------------------------------


def test_cache_entry_equals_the_database_entitlements(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str
) -> None:
    map_product(clean_db, "prod_pro", "pro")
    events = mixed_history("new")[:-1] + [
        sub_event(T0, sub_id="sub_2", customer="cus_2", metadata=owner_metadata("u2")),
        pi_event(T0, pi_id="pi_3", customer="cus_3", metadata=owner_metadata("u3", product_id="b")),
        refund_event(T0 + 1, 4900, pi_id="pi_3"),
    ]
    deliver_all(inbox, clean_db, events)
    users = entitled_users(clean_db)
    assert {user for _, user in users} == {"u1", "u2", "u3"}
    for project_id, user in users:
        assert cached_entitlements(worker_cache, user, project_id) == entitlements_of(
            clean_db, user, project_id
        )
    assert set(entitlements_of(clean_db, "u1")) == {"pro", "prod_book"}
    assert entitlements_of(clean_db, "u3") == {}


def test_products_map_changes_the_users_entitlement_key(
    inbox: Inbox,
    clean_db: Engine,
    worker_cache: redis.Redis,
    settings: Settings,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deliver(inbox, clean_db, sub_event(T0, metadata=owner_metadata("u1")))
    create_project(clean_db, OTHER_PROJECT)
    deliver(
        inbox,
        clean_db,
        sub_event(
            T0, sub_id="sub_9", customer="cus_9", metadata=owner_metadata("u9", OTHER_PROJECT)
        ),
    )
    assert set(cached_entitlements(worker_cache, "u1")) == {"prod_pro"}
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", settings.redis_url)
    argv = [
        "products",
        "map",
        "--project",
        PROJECT,
        "--product",
        "prod_pro",
        "--entitlement",
        "pro",
    ]
    assert billing(argv) == 0
    assert "pro" in capsys.readouterr().out
    expected = {"pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected
    # Another project's mapping is its own.
    assert set(entitlements_of(clean_db, "u9", OTHER_PROJECT)) == {"prod_pro"}
    # Events after the mapping use it too.
    deliver(inbox, clean_db, sub_event(T0 + 5, period_end=PERIOD_2, metadata=owner_metadata("u1")))
    assert entitlements_of(clean_db, "u1") == {"pro": sub_grant("sub_1", "prod_pro", PERIOD_2)}


@pytest.mark.parametrize("reverse", [False, True], ids=["deleted_first", "deleted_last"])
def test_deletion_is_final_even_before_a_newer_snapshot(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    """Stripe sends nothing alive after a deletion; if a newer snapshot shows up anyway, the
    result must still not depend on which of the two came first."""
    meta = owner_metadata("u1")
    deleted = sub_event(T0, "canceled", event_type="customer.subscription.deleted", metadata=meta)
    newer = sub_event(T0 + 10, "active", period_end=PERIOD_2, metadata=meta)
    events = [deleted, newer]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["deleted"]) == ("canceled", True)
    assert entitlements_of(clean_db, "u1") == {}


# --- concurrency: two workers at once ----------------------------------------------------------


def someone_waits_for_a_lock(engine: Engine) -> bool:
    found = rows(
        engine,
        """SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'""",
    )
    return bool(found)


def process_while_open(inbox: Inbox, engine: Engine, first: Json, second: Json) -> None:
    """Apply `first` in a transaction left open, process `second` in another thread (another
    worker), commit `first` once `second` has either finished or waits for one of its locks,
    then let `second` finish. No interleaving of the two may lose a change."""
    store_event(engine, first)
    second_id = store_event(engine, second)
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(inbox.process(second_id)))
    with inbox.uow.begin() as work:  # committed, and the cache filled, when the block ends
        work.touch(inbox.handlers[first["type"]](work.tx, first))
        work.flush()
        worker.start()
        wait_until(
            lambda: not worker.is_alive() or someone_waits_for_a_lock(engine),
            timeout_s=30,
            what="the second event to finish or to wait for a lock",
        )
    worker.join(timeout=30)
    assert outcome == ["processed"]


@pytest.mark.parametrize("session_first", [False, True], ids=["subscription_open", "session_open"])
def test_customer_link_racing_an_ownerless_subscription_still_entitles(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str, session_first: bool
) -> None:
    session = session_event(
        T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
    )
    subscription = sub_event(T0 + 1, event_type="customer.subscription.created")
    first, second = (session, subscription) if session_first else (subscription, session)
    process_while_open(inbox, clean_db, first, second)
    expected = {"prod_pro": sub_grant("sub_1", "prod_pro", PERIOD_1)}
    assert entitlements_of(clean_db, "u1") == expected
    assert cached_entitlements(worker_cache, "u1") == expected
