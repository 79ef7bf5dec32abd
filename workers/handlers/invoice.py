"""invoice.payment_succeeded / payment_failed → the subscription's latest payment outcome.

Invoices never change a subscription's status; that comes only from subscription snapshots.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.handlers.deps import HandlerDeps
from workers.handlers.fields import event_created, event_object, id_of, timestamp
from workers.owners import Owner
from workers.state.customers import Attribution, hold_customer, owners_of
from workers.state.purchases import apply_purchase_facts
from workers.state.records import InvoiceOutcome, PurchaseFacts
from workers.state.subscriptions import record_invoice_outcome

OUTCOME_OF_TYPE = {"invoice.payment_succeeded": "paid", "invoice.payment_failed": "failed"}


def invoice_outcome(event: dict[str, Any]) -> InvoiceOutcome:
    """Pure: `invoice.subscription` before 2025-03-31, `parent.subscription_details` after."""
    obj = event_object(event, "invoice")
    created = event_created(event)
    return InvoiceOutcome(
        invoice_id=obj["id"],
        subscription_id=_subscription_id(obj),
        customer_id=id_of(obj, "customer"),
        payment_intent_id=id_of(obj, "payment_intent"),
        outcome=OUTCOME_OF_TYPE.get(str(event.get("type")), "failed"),
        occurred_at=timestamp(created),  # type: ignore[arg-type]
        created=created,
    )


def _subscription_id(obj: dict[str, Any]) -> str | None:
    if subscription := id_of(obj, "subscription"):
        return subscription
    parent = obj.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if isinstance(details, dict):
        return id_of(details, "subscription")
    return None


def apply_invoice_event(tx: Connection, event: dict[str, Any], deps: HandlerDeps) -> set[Owner]:
    outcome = invoice_outcome(event)
    hold_customer(tx, outcome.customer_id)
    record_invoice_outcome(tx, outcome)
    if outcome.payment_intent_id is None:
        return set()
    # An invoice's PaymentIntent is never a purchase: mark it, whichever event came first.
    facts = PurchaseFacts(
        payment_intent_id=outcome.payment_intent_id,
        created=outcome.created,
        customer_id=outcome.customer_id,
        invoice_id=outcome.invoice_id,
    )
    apply_purchase_facts(tx, facts, Attribution())
    return owners_of(tx, "purchases", outcome.payment_intent_id)
