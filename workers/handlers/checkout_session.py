"""checkout.session.completed → the customer's owner, and in `payment` mode a purchase."""

from __future__ import annotations

from dataclasses import replace
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
from workers.state.records import ClaimedOwner, PurchaseFacts

PAYMENT_STATUS = {"paid": "succeeded", "no_payment_required": "succeeded", "unpaid": "pending"}


def session_owner(obj: dict[str, Any]) -> ClaimedOwner | None:
    """metadata project_id/user_id; client_reference_id stands for a missing user_id."""
    return claimed_owner(obj, fallback_user_id=optional_str(obj, "client_reference_id"))


def session_purchase_facts(event: dict[str, Any]) -> PurchaseFacts | None:
    """Pure. None unless the session is in `payment` mode with a PaymentIntent."""
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


def apply_checkout_session_completed(
    tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    obj = event_object(event, "checkout.session")
    created = event_created(event)
    facts = session_purchase_facts(event)
    if facts is not None and facts.product_id is None and deps.product_of_session is not None:
        # Before any row lock: a slow Stripe call must not hold up this customer's other events.
        facts = replace(facts, product_id=deps.product_of_session(obj["id"]))
    attribution = attribute(tx, session_owner(obj), obj["id"])
    owner = attribution.owner
    touched = link_customer_from_event(tx, event, id_of(obj, "customer"), owner, created, deps)
    if facts is None:
        return touched
    touched |= owners_of(tx, "purchases", facts.payment_intent_id)  # an owner it may lose
    apply_purchase_facts(tx, facts, attribution)
    return touched | owners_of(tx, "purchases", facts.payment_intent_id)
