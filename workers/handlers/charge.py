"""charge.refunded → the refunded amount of the charge's PaymentIntent (it only grows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.handlers.deps import HandlerDeps
from workers.handlers.fields import event_created, event_object, id_of, optional_int, optional_str
from workers.owners import Owner
from workers.state.customers import Attribution, hold_customer, owners_of
from workers.state.purchases import apply_purchase_facts
from workers.state.records import PurchaseFacts


def refund_facts(event: dict[str, Any]) -> PurchaseFacts | None:
    """Pure. None for a charge without a PaymentIntent (pre-2019 charges): no purchase to update."""
    obj = event_object(event, "charge")
    payment_intent_id = id_of(obj, "payment_intent")
    if payment_intent_id is None:
        return None
    return PurchaseFacts(
        payment_intent_id=payment_intent_id,
        created=event_created(event),
        customer_id=id_of(obj, "customer"),
        amount_minor=optional_int(obj, "amount"),
        currency=(optional_str(obj, "currency") or "").lower() or None,
        payment_status="succeeded",  # only a paid charge can be refunded
        amount_refunded_minor=optional_int(obj, "amount_refunded") or 0,
    )


def apply_charge_refunded(tx: Connection, event: dict[str, Any], deps: HandlerDeps) -> set[Owner]:
    facts = refund_facts(event)
    if facts is None:
        return set()
    hold_customer(tx, facts.customer_id)
    apply_purchase_facts(tx, facts, Attribution())
    return owners_of(tx, "purchases", facts.payment_intent_id)
