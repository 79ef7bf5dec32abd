"""Pure: Stripe payloads → our records, and records → entitlements. No database, no Redis.

Both payload shapes of CONTRACT section 3 (and the 2017-era plan-only one) are built by
tests/stripe_events.py; the real captured payloads come from tests/fixtures/real-events/events.json.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.entitlements.compute import (
    ActivePurchase,
    ActiveSubscription,
    Grant,
    compute_entitlements,
    entitlements_json,
)
from shared.records import ClaimedOwner, PurchaseFacts
from shared.statuses import PaymentStatus
from tests import stripe_events as se
from tests.billing.helpers import PERIOD_1, PERIOD_2, PROJECT, T0, owner_metadata
from workers.handlers import HANDLERS
from workers.payloads.charge import refund_facts
from workers.payloads.checkout_session import session_owner, session_purchase_facts
from workers.payloads.errors import MalformedEvent
from workers.payloads.invoice import invoice_outcome
from workers.payloads.payment_intent import payment_intent_facts
from workers.payloads.subscription import subscription_snapshot

REAL_EVENTS = se.REAL_EVENTS_PATH
SUBSCRIPTION_TYPES = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
Json = dict[str, Any]

# The pure function behind each handled event type: every handled type must have one here.
PARSER_OF_TYPE: dict[str, Callable[[Json], object]] = {
    "checkout.session.completed": session_purchase_facts,
    **dict.fromkeys(SUBSCRIPTION_TYPES, subscription_snapshot),
    "invoice.payment_succeeded": invoice_outcome,
    "invoice.payment_failed": invoice_outcome,
    "payment_intent.succeeded": payment_intent_facts,
    "payment_intent.payment_failed": payment_intent_facts,
    "charge.refunded": refund_facts,
}


def at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def wrap(event_type: str, obj: Json, shape: str = "new", created: int = T0) -> Json:
    return se.event(event_type, obj, created=created, api_version=se.api_version_for(shape))


def sub_event(event_type: str, shape: str, **overrides: Any) -> Json:
    args: Json = dict(
        customer="cus_1",
        status="active",
        products=["prod_basic", "prod_extra"],
        period_end=PERIOD_1,
        created=T0 - 86_400,
        metadata=owner_metadata("u1"),
    )
    args.update(overrides)
    return wrap(event_type, se.subscription("sub_1", shape=shape, **args), shape)


# --- subscriptions ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("event_type", SUBSCRIPTION_TYPES)
def test_subscription_snapshot_reads_both_payload_shapes(event_type: str, shape: str) -> None:
    deleted = event_type.endswith("deleted")
    status = "canceled" if deleted else "past_due"
    snapshot = subscription_snapshot(
        sub_event(event_type, shape, status=status, cancel_at_period_end=True)
    )
    assert snapshot.id == "sub_1" and snapshot.customer_id == "cus_1"
    assert snapshot.owner == ClaimedOwner(PROJECT, "u1")
    assert snapshot.status == status and snapshot.deleted is deleted
    assert snapshot.product_ids == ("prod_basic", "prod_extra")
    assert snapshot.current_period_end == at(PERIOD_1)
    assert snapshot.cancel_at_period_end is True
    assert snapshot.created == T0


@pytest.mark.parametrize("shape", se.SHAPES)
def test_deleted_event_is_canceled_whatever_status_the_object_shows(shape: str) -> None:
    snapshot = subscription_snapshot(
        sub_event("customer.subscription.deleted", shape, status="active")
    )
    assert (snapshot.status, snapshot.deleted) == ("canceled", True)


def test_new_shape_period_end_is_the_latest_of_the_items() -> None:
    event = sub_event("customer.subscription.updated", "new")
    event["data"]["object"]["items"]["data"][1]["current_period_end"] = PERIOD_2
    assert "current_period_end" not in event["data"]["object"]
    assert subscription_snapshot(event).current_period_end == at(PERIOD_2)


def test_old_shape_period_end_is_the_subscriptions_own() -> None:
    event = sub_event("customer.subscription.updated", "old", period_end=PERIOD_2)
    assert all("current_period_end" not in i for i in event["data"]["object"]["items"]["data"])
    assert subscription_snapshot(event).current_period_end == at(PERIOD_2)


def test_plan_only_items_name_their_products_through_the_plan() -> None:
    event = sub_event("customer.subscription.created", "plan", products=["prod_gold"])
    assert "price" not in event["data"]["object"]["items"]["data"][0]
    assert subscription_snapshot(event).product_ids == ("prod_gold",)


def test_subscription_without_items_uses_its_top_level_plan() -> None:
    event = sub_event("customer.subscription.created", "plan", products=["prod_gold"])
    del event["data"]["object"]["items"]
    assert subscription_snapshot(event).product_ids == ("prod_gold",)


def test_expanded_customer_and_product_objects_are_read_by_id() -> None:
    event = sub_event("customer.subscription.updated", "new", products=["prod_basic"])
    obj = event["data"]["object"]
    obj["customer"] = {"id": "cus_1", "object": "customer"}
    obj["items"]["data"][0]["price"]["product"] = {"id": "prod_basic", "object": "product"}
    snapshot = subscription_snapshot(event)
    assert (snapshot.customer_id, snapshot.product_ids) == ("cus_1", ("prod_basic",))


def test_subscription_without_owner_metadata_claims_no_owner() -> None:
    assert subscription_snapshot(sub_event(SUBSCRIPTION_TYPES[0], "new", metadata={})).owner is None


def test_a_half_claim_is_kept_incomplete_so_the_customer_cannot_stand_in() -> None:
    project_only = sub_event(SUBSCRIPTION_TYPES[0], "new", metadata={"project_id": PROJECT})
    assert subscription_snapshot(project_only).owner == ClaimedOwner(PROJECT, "")
    user_only = sub_event(SUBSCRIPTION_TYPES[0], "new", metadata={"user_id": "u1"})
    assert subscription_snapshot(user_only).owner == ClaimedOwner("", "u1")


# --- invoices --------------------------------------------------------------------------------


def invoice_event(event_type: str, shape: str, **overrides: Any) -> Json:
    args: Json = dict(
        customer="cus_1",
        subscription_id="sub_1",
        paid=event_type.endswith("succeeded"),
        payment_intent="pi_inv_1",
        created=T0,
        shape=shape,
    )
    args.update(overrides)
    return wrap(event_type, se.invoice("in_1", **args), shape)


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize(
    ("event_type", "outcome"),
    [("invoice.payment_succeeded", "paid"), ("invoice.payment_failed", "failed")],
)
def test_invoice_outcome_reads_both_payload_shapes(
    event_type: str, outcome: str, shape: str
) -> None:
    record = invoice_outcome(invoice_event(event_type, shape))
    assert record.invoice_id == "in_1" and record.customer_id == "cus_1"
    assert record.subscription_id == "sub_1"
    assert record.outcome == outcome
    assert record.occurred_at == at(T0) and record.created == T0
    # A PaymentIntent is named by the invoice only before 2025-03-31.
    assert record.payment_intent_id == (None if shape == "new" else "pi_inv_1")


def test_new_shape_invoice_names_its_subscription_only_under_parent() -> None:
    event = invoice_event("invoice.payment_succeeded", "new")
    assert "subscription" not in event["data"]["object"]
    assert event["data"]["object"]["parent"]["subscription_details"]["subscription"] == "sub_1"
    assert invoice_outcome(event).subscription_id == "sub_1"


@pytest.mark.parametrize("shape", se.SHAPES)
def test_one_off_invoice_has_no_subscription(shape: str) -> None:
    record = invoice_outcome(
        invoice_event("invoice.payment_succeeded", shape, subscription_id=None)
    )
    assert record.subscription_id is None


# --- payment intents -------------------------------------------------------------------------


def pi_event(event_type: str, shape: str, **overrides: Any) -> Json:
    args: Json = dict(
        amount=4900,
        currency="EUR",
        customer="cus_1",
        metadata=owner_metadata("u1", product_id="prod_book"),
        status="succeeded" if event_type.endswith("succeeded") else "requires_payment_method",
        created=T0,
        shape=shape,
    )
    args.update(overrides)
    return wrap(event_type, se.payment_intent("pi_1", **args), shape)


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize(
    ("event_type", "status"),
    [("payment_intent.succeeded", "succeeded"), ("payment_intent.payment_failed", "failed")],
)
def test_payment_intent_facts_read_both_payload_shapes(
    event_type: str, status: PaymentStatus, shape: str
) -> None:
    facts = payment_intent_facts(pi_event(event_type, shape))
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        owner=ClaimedOwner(PROJECT, "u1"),
        names_user=True,
        product_id="prod_book",
        amount_minor=4900,
        currency="eur",
        payment_status=status,
    )


def test_old_shape_payment_intent_of_an_invoice_names_the_invoice() -> None:
    facts = payment_intent_facts(
        pi_event("payment_intent.succeeded", "old", metadata={}, invoice="in_1")
    )
    assert facts.invoice_id == "in_1"
    assert facts.owner is None and facts.names_user is False


def test_new_shape_payment_intent_of_an_invoice_has_no_owner_and_no_invoice() -> None:
    event = pi_event("payment_intent.succeeded", "new", metadata={})
    assert "invoice" not in event["data"]["object"]
    facts = payment_intent_facts(event)
    assert (facts.invoice_id, facts.owner, facts.names_user) == (None, None, False)


def test_payment_intent_naming_only_a_user_is_a_purchase_of_that_user() -> None:
    facts = payment_intent_facts(
        pi_event("payment_intent.succeeded", "new", metadata={"user_id": "u1"})
    )
    assert facts.names_user is True and facts.owner == ClaimedOwner("", "u1")


# --- refunds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("refunded", [500, 4900])
def test_refund_facts_carry_the_refunded_amount(refunded: int) -> None:
    charge = se.charge(
        "ch_1", payment_intent="pi_1", amount=4900, amount_refunded=refunded, customer="cus_1"
    )
    facts = refund_facts(wrap("charge.refunded", charge))
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        amount_minor=4900,
        currency="usd",
        payment_status="succeeded",
        amount_refunded_minor=refunded,
    )


def test_refund_of_a_charge_without_payment_intent_has_no_purchase() -> None:
    charge = se.charge("ch_1", payment_intent=None, amount=4900, amount_refunded=4900)
    assert refund_facts(wrap("charge.refunded", charge)) is None


def test_refund_reads_an_expanded_payment_intent() -> None:
    charge = se.charge("ch_1", payment_intent="pi_1", amount=4900, amount_refunded=100)
    charge["payment_intent"] = {"id": "pi_1", "object": "payment_intent"}
    facts = refund_facts(wrap("charge.refunded", charge))
    assert facts is not None and facts.payment_intent_id == "pi_1"


# --- checkout sessions -----------------------------------------------------------------------


def session(**overrides: Any) -> Json:
    args: Json = dict(
        mode="payment",
        customer="cus_1",
        payment_intent="pi_1",
        metadata=owner_metadata("u1", product_id="prod_book"),
        amount_total=4900,
        currency="usd",
        created=T0,
    )
    args.update(overrides)
    return se.checkout_session("cs_1", **args)


def test_payment_mode_session_is_a_purchase() -> None:
    facts = session_purchase_facts(wrap("checkout.session.completed", session()))
    assert facts == PurchaseFacts(
        payment_intent_id="pi_1",
        created=T0,
        customer_id="cus_1",
        owner=ClaimedOwner(PROJECT, "u1"),
        checkout_session_id="cs_1",
        product_id="prod_book",
        amount_minor=4900,
        currency="usd",
        payment_status="succeeded",
    )


@pytest.mark.parametrize(
    ("payment_status", "status"),
    [("paid", "succeeded"), ("no_payment_required", "succeeded"), ("unpaid", "pending")],
)
def test_session_payment_status_becomes_the_purchase_status(
    payment_status: str, status: str
) -> None:
    facts = session_purchase_facts(
        wrap("checkout.session.completed", session(payment_status=payment_status))
    )
    assert facts is not None and facts.payment_status == status


def test_subscription_mode_session_is_no_purchase() -> None:
    obj = session(mode="subscription", payment_intent=None, subscription="sub_1")
    assert session_purchase_facts(wrap("checkout.session.completed", obj)) is None


def test_session_without_product_metadata_leaves_the_product_to_a_lookup() -> None:
    facts = session_purchase_facts(
        wrap("checkout.session.completed", session(metadata=owner_metadata("u1")))
    )
    assert facts is not None and facts.product_id is None


def test_client_reference_id_stands_for_user_id() -> None:
    obj = session(metadata={"project_id": PROJECT}, client_reference_id="u7")
    assert session_owner(obj) == ClaimedOwner(PROJECT, "u7")


def test_metadata_user_id_wins_over_client_reference_id() -> None:
    obj = session(metadata=owner_metadata("u1"), client_reference_id="u7")
    assert session_owner(obj) == ClaimedOwner(PROJECT, "u1")


def test_session_without_project_claims_only_its_user() -> None:
    assert session_owner(session(metadata={}, client_reference_id="u7")) == ClaimedOwner("", "u7")


# --- malformed payloads ----------------------------------------------------------------------


def _broken(event: Json, path: str, value: Any) -> Json:
    """A copy of `event` with data.object's dotted `path` set to `value` (`...` deletes it)."""
    broken = copy.deepcopy(event)
    *parents, last = path.split(".")
    target = broken["data"]["object"]
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return broken


SUB = sub_event("customer.subscription.updated", "new")
INVOICE = invoice_event("invoice.payment_failed", "old")
PI = pi_event("payment_intent.succeeded", "new")
CHARGE = wrap(
    "charge.refunded", se.charge("ch_1", payment_intent="pi_1", amount=10, amount_refunded=5)
)
SESSION = wrap("checkout.session.completed", session())
MALFORMED: list[tuple[Callable[[Json], object], Json, str]] = [
    (subscription_snapshot, _broken(SUB, "status", ...), "status is missing"),
    (subscription_snapshot, _broken(SUB, "status", 3), "status must be a string"),
    (subscription_snapshot, _broken(SUB, "items", "many"), "items"),
    (subscription_snapshot, _broken(SUB, "items.data", [1, 2]), "items"),
    (subscription_snapshot, _broken(SUB, "metadata", "owner"), "metadata must be an object"),
    (subscription_snapshot, _broken(SUB, "customer", 42), "customer must be an id"),
    (subscription_snapshot, _broken(SUB, "id", None), "no string id"),
    (subscription_snapshot, _broken(SUB, "object", "invoice"), "expected 'subscription'"),
    (
        subscription_snapshot,
        _broken(SUB, "items.data.0.current_period_end", "soon"),
        "current_period_end must be an integer",
    ),
    (invoice_outcome, _broken(INVOICE, "subscription", ["sub_1"]), "subscription must be an id"),
    (invoice_outcome, _broken(INVOICE, "payment_intent", 7), "payment_intent must be an id"),
    (payment_intent_facts, _broken(PI, "amount", "49.00"), "amount must be an integer"),
    (payment_intent_facts, _broken(PI, "amount", True), "amount must be an integer"),
    (payment_intent_facts, _broken(PI, "currency", 978), "currency must be a string"),
    (payment_intent_facts, _broken(PI, "metadata", ["user_id"]), "metadata must be an object"),
    (refund_facts, _broken(CHARGE, "amount_refunded", 1.5), "amount_refunded must be an integer"),
    (refund_facts, _broken(CHARGE, "object", "refund"), "expected 'charge'"),
    (session_purchase_facts, _broken(SESSION, "amount_total", "4900"), "amount_total"),
    (session_purchase_facts, _broken(SESSION, "payment_intent", 1), "payment_intent"),
]


@pytest.mark.parametrize(("parse", "event", "reason"), MALFORMED)
def test_malformed_payload_raises_malformed_event_naming_the_field(
    parse: Callable[[Json], object], event: Json, reason: str
) -> None:
    with pytest.raises(MalformedEvent, match=reason):
        parse(event)


@pytest.mark.parametrize("event_type", sorted(PARSER_OF_TYPE))
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({}, "no data.object"),
        ({"object": None}, "no data.object"),
        ({"object": ["sub_1"]}, "no data.object"),
        ("sub_1", "no data.object"),
        ({"object": {"object": "thing"}}, "data.object is a 'thing'"),
        ({"object": {}}, "has no string id"),
    ],
)
def test_event_without_a_usable_data_object_is_malformed(
    event_type: str, data: Any, reason: str
) -> None:
    event = {"id": "evt_1", "type": event_type, "created": T0, "data": data}
    with pytest.raises(MalformedEvent, match=reason):
        PARSER_OF_TYPE[event_type](event)


@pytest.mark.parametrize("created", [None, "1750000000", 1.75e9, True])
def test_event_without_an_integer_created_is_malformed(created: Any) -> None:
    event = copy.deepcopy(SUB)
    event["created"] = created
    with pytest.raises(MalformedEvent, match="integer created"):
        subscription_snapshot(event)


def test_period_end_outside_any_calendar_is_malformed() -> None:
    event = _broken(SUB, "items.data.0.current_period_end", 10**15)
    with pytest.raises(MalformedEvent, match="1000000000000000 is out of range"):
        subscription_snapshot(event)


def test_amount_too_large_for_any_column_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="amount is out of range"):
        payment_intent_facts(_broken(PI, "amount", 2**70))


# --- entitlements ----------------------------------------------------------------------------


def sub(sub_id: str, status: str, products: tuple[str, ...], end: int = PERIOD_1) -> Any:
    return ActiveSubscription(sub_id, status, products, at(end))


def test_mapped_product_grants_its_keys() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro",))], [], {"prod_pro": ("pro", "support")}
    )
    assert grants == {
        "pro": Grant("subscription", "sub_1", "prod_pro", at(PERIOD_1)),
        "support": Grant("subscription", "sub_1", "prod_pro", at(PERIOD_1)),
    }


def test_unmapped_product_grants_an_entitlement_named_by_its_id() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro", "prod_extra"))],
        [ActivePurchase("pi_1", "prod_book")],
        {"prod_pro": ("pro",)},
    )
    assert sorted(grants) == ["pro", "prod_book", "prod_extra"]
    assert grants["prod_book"] == Grant("purchase", "pi_1", "prod_book", None)


def test_lifetime_purchase_beats_a_dated_subscription() -> None:
    mapping = {"prod_pro": ("pro",), "prod_pro_lifetime": ("pro",)}
    for order in (1, -1):
        grants = compute_entitlements(
            [sub("sub_1", "active", ("prod_pro",), PERIOD_2)][::order],
            [ActivePurchase("pi_1", "prod_pro_lifetime")],
            mapping,
        )
        assert grants["pro"] == Grant("purchase", "pi_1", "prod_pro_lifetime", None)


def test_the_later_period_end_wins_whatever_the_row_order() -> None:
    subs = [
        sub("sub_1", "active", ("prod_pro",), PERIOD_1),
        sub("sub_2", "past_due", ("prod_pro",), PERIOD_2),
    ]
    for ordered in (subs, subs[::-1]):
        assert compute_entitlements(ordered, [], {})["prod_pro"].source_id == "sub_2"


@pytest.mark.parametrize(
    ("status", "entitled"),
    [
        ("active", True),
        ("trialing", True),
        ("past_due", True),
        ("incomplete", False),
        ("unpaid", False),
        ("paused", False),
        ("incomplete_expired", False),
        ("canceled", False),
    ],
)
def test_only_active_trialing_and_past_due_subscriptions_entitle(
    status: str, entitled: bool
) -> None:
    grants = compute_entitlements([sub("sub_1", status, ("prod_pro",))], [], {})
    assert bool(grants) is entitled


def test_entitlements_json_is_the_read_api_shape() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro",))], [ActivePurchase("pi_1", "prod_book")], {}
    )
    assert entitlements_json(grants) == {
        "prod_book": {
            "source": "purchase",
            "source_id": "pi_1",
            "product_id": "prod_book",
            "expires_at": None,
        },
        "prod_pro": {
            "source": "subscription",
            "source_id": "sub_1",
            "product_id": "prod_pro",
            "expires_at": at(PERIOD_1).isoformat().replace("+00:00", "Z"),
        },
    }


# --- real payloads ---------------------------------------------------------------------------


def real_events() -> list[Json]:
    events: list[Json] = json.loads(REAL_EVENTS.read_text())
    return events


def test_every_handled_type_has_a_pure_parser_here() -> None:
    assert set(PARSER_OF_TYPE) == set(HANDLERS)


@pytest.mark.parametrize(
    "event", real_events(), ids=[f"{i}-{e['type']}" for i, e in enumerate(real_events())]
)
def test_real_payload_has_no_handler_or_parses(event: Json) -> None:
    parse = PARSER_OF_TYPE.get(event["type"])
    if parse is None:
        assert event["type"] not in HANDLERS
        return
    parse(event)  # raises on any shape it cannot read
    if event["type"] == "checkout.session.completed":
        session_owner(event["data"]["object"])
