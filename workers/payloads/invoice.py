"""An invoice event's payload → the subscription's payment outcome, and the mark that its
PaymentIntent is an invoice's payment (never a purchase)."""

from __future__ import annotations

from typing import Any

from shared.records import InvoiceOutcome, PurchaseFacts
from shared.statuses import InvoiceOutcomeKind
from workers.payloads.fields import (
    event_created,
    event_object,
    id_of,
    optional_int,
    optional_str,
    timestamp,
)

OUTCOME_OF_TYPE: dict[str, InvoiceOutcomeKind] = {
    "invoice.payment_succeeded": "paid",
    "invoice.payment_failed": "failed",
}


def invoice_outcome(event: dict[str, Any]) -> InvoiceOutcome:
    """`invoice.subscription` before API 2025-03-31, `parent.subscription_details` after."""
    obj = event_object(event, "invoice")
    created = event_created(event)
    occurred_at = timestamp(created)
    assert occurred_at is not None
    return InvoiceOutcome(
        invoice_id=obj["id"],
        subscription_id=_subscription_id(obj),
        customer_id=id_of(obj, "customer"),
        payment_intent_id=id_of(obj, "payment_intent"),
        outcome=OUTCOME_OF_TYPE.get(str(event.get("type")), "failed"),
        occurred_at=occurred_at,
        created=created,
        amount_paid=optional_int(obj, "amount_paid") or 0,
        currency=optional_str(obj, "currency"),
    )


def invoice_payment_facts(outcome: InvoiceOutcome) -> PurchaseFacts | None:
    """The invoice's PaymentIntent, marked as an invoice's, whichever event came first."""
    if outcome.payment_intent_id is None:
        return None
    return PurchaseFacts(
        payment_intent_id=outcome.payment_intent_id,
        created=outcome.created,
        customer_id=outcome.customer_id,
        invoice_id=outcome.invoice_id,
    )


def _subscription_id(obj: dict[str, Any]) -> str | None:
    if subscription := id_of(obj, "subscription"):
        return subscription
    parent = obj.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if isinstance(details, dict):
        return id_of(details, "subscription")
    return None
