"""Each handled event type through an Inbox wired as the worker wires it, on both payload shapes
(and the 2017-era plan-only one): what it stores and whom it entitles (CONTRACT section 3)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests import stripe_events as se
from tests.stripe_events import (
    PERIOD_1,
    PROJECT,
    SUBSCRIPTION_TYPES,
    T0,
    at,
    checkout_session_event,
    invoice_event,
    owner_metadata,
    payment_intent_event,
    refund_event,
    subscription_event,
)
from tests.support.state import (
    customer_row,
    deliver,
    deliver_all,
    entitlements_of,
    payment_row,
    project_metrics,
    purchase_grant,
    purchase_row,
    rows,
    subscription_grant,
    subscription_row,
)
from tests.support.stores import event_row
from workers.handlers import HANDLERS
from workers.inbox import Inbox


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("event_type", SUBSCRIPTION_TYPES)
def test_subscription_event_stores_its_snapshot(
    inbox: Inbox, clean_db: Engine, project: str, event_type: str, shape: str
) -> None:
    deleted = event_type.endswith("deleted")
    event = subscription_event(
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
            "prod_extra": subscription_grant("sub_1", "prod_extra", PERIOD_1),
            "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1),
        }
    )
    assert entitlements_of(clean_db, "u1") == expected


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("paid", [True, False], ids=["payment_succeeded", "payment_failed"])
def test_invoice_event_records_the_payment_outcome_and_leaves_the_status(
    inbox: Inbox, clean_db: Engine, project: str, paid: bool, shape: str
) -> None:
    status = "active" if paid else "past_due"
    deliver(
        inbox, clean_db, subscription_event(T0, status, metadata=owner_metadata("u1"), shape=shape)
    )
    event = invoice_event(T0 + 10, paid, payment_intent="pi_inv_1", shape=shape)
    assert deliver(inbox, clean_db, event) == "processed"
    payment = payment_row(clean_db, "sub_1")
    assert payment is not None
    assert (payment["invoice_id"], payment["outcome"]) == ("in_1", "paid" if paid else "failed")
    assert payment["occurred_at"] == at(T0 + 10)
    sub = subscription_row(clean_db, "sub_1")
    assert sub is not None and sub["status"] == status  # only snapshots set the status
    assert entitlements_of(clean_db, "u1") == {
        "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)
    }


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("succeeded", [True, False], ids=["succeeded", "payment_failed"])
def test_payment_intent_event_records_a_purchase(
    inbox: Inbox, clean_db: Engine, project: str, succeeded: bool, shape: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    event = payment_intent_event(T0, succeeded, currency="EUR", metadata=metadata, shape=shape)
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
    deliver(inbox, clean_db, payment_intent_event(T0, metadata=metadata, shape=shape))
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
    assert deliver(inbox, clean_db, checkout_session_event(T0, metadata=metadata)) == "processed"
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
    assert deliver(inbox, clean_db, payment_intent_event(T0 + 1)) == "processed"
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_unpaid_checkout_session_waits_for_its_payment_intent(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    metadata = owner_metadata("u1", product_id="prod_book")
    deliver(inbox, clean_db, checkout_session_event(T0, metadata=metadata, payment_status="unpaid"))
    assert entitlements_of(clean_db, "u1") == {}
    deliver(inbox, clean_db, payment_intent_event(T0 + 5))
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_checkout_session_in_subscription_mode_links_the_customer_only(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    event = checkout_session_event(
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
    event = se.event(event_type, obj, created=T0)
    assert deliver(inbox, clean_db, event) == "skipped"
    stored = event_row(clean_db, event["id"])
    assert (stored["status"], stored["attempts"]) == ("skipped", 1)
    assert stored["processed_at"] is not None
    assert rows(clean_db, "SELECT * FROM subscriptions") == []


# --- invoices' PaymentIntents are never purchases ------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True])
def test_old_shape_payment_intent_naming_its_invoice_is_never_a_purchase(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [
        subscription_event(T0, metadata=owner_metadata("u1"), shape="old"),
        payment_intent_event(T0 + 1, pi_id="pi_inv", invoice="in_1", metadata=meta, shape="old"),
    ]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = purchase_row(clean_db, "pi_inv")
    assert row is not None and row["invoice_id"] == "in_1"
    assert entitlements_of(clean_db, "u1") == {
        "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)
    }
    assert project_metrics(clean_db)["revenue"] == {}


@pytest.mark.parametrize("reverse", [False, True], ids=["invoice_first", "payment_intent_first"])
def test_old_shape_invoice_naming_the_payment_intent_makes_it_no_purchase(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [
        invoice_event(T0 + 1, payment_intent="pi_inv", shape="old"),
        payment_intent_event(T0 + 2, pi_id="pi_inv", metadata=meta, shape="old"),
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
        checkout_session_event(
            T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
        ),
        subscription_event(T0 + 1),
        invoice_event(T0 + 2),
        payment_intent_event(T0 + 3, pi_id="pi_inv"),  # the customer is u1's, but no metadata
    ]
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    assert entitlements_of(clean_db, "u1") == {
        "prod_pro": subscription_grant("sub_1", "prod_pro", PERIOD_1)
    }
    assert project_metrics(clean_db)["revenue"] == {}
