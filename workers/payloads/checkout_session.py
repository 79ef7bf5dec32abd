"""A completed Checkout Session's payload → its owner, and in `payment` mode a purchase."""

from __future__ import annotations

from typing import Any

from shared.records import ClaimedOwner, PurchaseFacts
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

PAYMENT_STATUS: dict[str, PaymentStatus] = {
    "paid": "succeeded",
    "no_payment_required": "succeeded",
    "unpaid": "pending",
}


def session_owner(obj: dict[str, Any]) -> ClaimedOwner | None:
    """metadata project_id/user_id; client_reference_id stands for a missing user_id."""
    return claimed_owner(obj, fallback_user_id=optional_str(obj, "client_reference_id"))


def session_purchase_facts(event: dict[str, Any]) -> PurchaseFacts | None:
    """None unless the session is in `payment` mode with a PaymentIntent."""
    obj = event_object(event, "checkout.session")
    payment_intent_id = id_of(obj, "payment_intent")
    if obj.get("mode") != "payment" or payment_intent_id is None:
        return None
    product_id = metadata(obj).get("product_id")
    return PurchaseFacts(
        payment_intent_id=payment_intent_id,
        created=event_created(event),
        customer_id=id_of(obj, "customer"),
        owner=session_owner(obj),
        checkout_session_id=obj["id"],
        product_id=product_id if isinstance(product_id, str) and product_id else None,
        amount_minor=optional_int(obj, "amount_total"),
        currency=(optional_str(obj, "currency") or "").lower() or None,
        payment_status=PAYMENT_STATUS.get(str(obj.get("payment_status")), "pending"),
    )
