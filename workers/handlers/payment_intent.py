"""payment_intent.succeeded / payment_failed → what the PaymentIntent says about a purchase."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from workers.handlers.customer_link import link_customer_from_event
from workers.handlers.deps import HandlerDeps
from workers.handlers.fields import (
    claimed_owner,
    event_created,
    event_object,
    id_of,
    metadata,
    optional_int,
    optional_str,
)
from workers.owners import Owner
from workers.state.customers import (
    attribute,
    owners_of,
)
from workers.state.purchases import apply_purchase_facts
from workers.state.records import PurchaseFacts

STATUS_OF_TYPE = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
}


def payment_intent_facts(event: dict[str, Any]) -> PurchaseFacts:
    """Pure. `invoice` exists only before API 2025-03-31; after, an invoice's PaymentIntent
    simply carries no owner metadata and so never becomes a purchase."""
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


def apply_payment_intent_event(
    tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    facts = payment_intent_facts(event)
    attribution = attribute(tx, facts.owner, facts.payment_intent_id)
    owner = attribution.owner
    touched = link_customer_from_event(tx, event, facts.customer_id, owner, facts.created, deps)
    touched |= owners_of(tx, "purchases", facts.payment_intent_id)  # an owner it may lose
    apply_purchase_facts(tx, facts, attribution)
    return touched | owners_of(tx, "purchases", facts.payment_intent_id)
