"""Pure: a payload the parsers cannot read raises MalformedEvent naming the field; each of the
real captured payloads (tests/fixtures/real-events) has no handler or parses."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests import stripe_events as se
from tests.stripe_events import SUBSCRIPTION_TYPES, T0, owner_metadata
from workers.handlers import HANDLERS
from workers.payloads.charge import refund_facts
from workers.payloads.checkout_session import session_owner, session_purchase_facts
from workers.payloads.errors import MalformedEvent
from workers.payloads.invoice import invoice_outcome
from workers.payloads.payment_intent import payment_intent_facts
from workers.payloads.subscription import subscription_snapshot

Json = dict[str, Any]
BOOK_OF_U1 = owner_metadata("u1", product_id="prod_book")

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


SUB = se.subscription_event(
    T0, products=("prod_basic", "prod_extra"), metadata=owner_metadata("u1")
)
INVOICE = se.invoice_event(T0, False, payment_intent="pi_inv_1", shape="old")
PI = se.payment_intent_event(T0, currency="EUR", metadata=BOOK_OF_U1)
CHARGE = se.refund_event(T0, 5, amount=10, customer=None)
SESSION = se.checkout_session_event(T0, metadata=BOOK_OF_U1)
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


# --- real payloads ---------------------------------------------------------------------------


def test_every_handled_type_has_a_pure_parser_here() -> None:
    assert set(PARSER_OF_TYPE) == set(HANDLERS)


@pytest.mark.parametrize(
    "event", se.real_events(), ids=[f"{i}-{e['type']}" for i, e in enumerate(se.real_events())]
)
def test_real_payload_has_no_handler_or_parses(event: Json) -> None:
    parse = PARSER_OF_TYPE.get(event["type"])
    if parse is None:
        assert event["type"] not in HANDLERS
        return
    parse(event)  # raises on any shape it cannot read
    if event["type"] == "checkout.session.completed":
        session_owner(event["data"]["object"])
