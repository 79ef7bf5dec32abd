"""A PaymentIntent event's payload → what it says about a purchase."""

from __future__ import annotations

from typing import Any

from shared.records import PurchaseFacts
from shared.statuses import PaymentStatus
from workers.payloads.fields import (
    claimed_owner,
    event_created,
    event_object,
    id_of,
    metadata,
    optional_int,
    optional_str,
)

STATUS_OF_TYPE: dict[str, PaymentStatus] = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
}


def payment_intent_facts(event: dict[str, Any]) -> PurchaseFacts:
    """`invoice` exists only before API 2025-03-31; after, an invoice's PaymentIntent simply
    carries no owner metadata and so never becomes a purchase."""
    obj = event_object(event, "payment_intent")
    meta = metadata(obj)
    user_id = meta.get("user_id")
    product_id = meta.get("product_id")
    return PurchaseFacts(
        payment_intent_id=obj["id"],
        created=event_created(event),
        customer_id=id_of(obj, "customer"),
        owner=claimed_owner(obj),
        names_user=isinstance(user_id, str) and bool(user_id),
        invoice_id=id_of(obj, "invoice"),
        product_id=product_id if isinstance(product_id, str) and product_id else None,
        amount_minor=optional_int(obj, "amount"),
        currency=(optional_str(obj, "currency") or "").lower() or None,
        payment_status=STATUS_OF_TYPE.get(str(event.get("type")), "pending"),
    )
