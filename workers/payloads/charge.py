"""A `charge.refunded` payload → the refunded amount of the charge's PaymentIntent."""

from __future__ import annotations

from typing import Any

from shared.records import PurchaseFacts
from workers.payloads.fields import event_created, event_object, id_of, optional_int, optional_str


def refund_facts(event: dict[str, Any]) -> PurchaseFacts | None:
    """None for a charge without a PaymentIntent (pre-2019 charges): no purchase to update."""
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
