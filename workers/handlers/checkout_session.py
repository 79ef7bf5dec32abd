"""checkout.session.completed → the customer's owner, and in `payment` mode a purchase."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import attribute, owners_of
from shared.state.purchases import apply_purchase_facts
from workers.handlers.customer_link import link_customer_from_event
from workers.handlers.deps import HandlerDeps
from workers.payloads.checkout_session import session_owner, session_purchase_facts
from workers.payloads.fields import event_created, event_object, id_of


def apply_checkout_session_completed(
    tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    obj = event_object(event, "checkout.session")
    created = event_created(event)
    facts = session_purchase_facts(event)
    if facts is not None and facts.product_id is None and deps.enrich_session_product:
        deps.enrich_session_product(obj["id"], facts.payment_intent_id, created)
    attribution = attribute(tx, session_owner(obj), obj["id"])
    owner = attribution.owner
    touched = link_customer_from_event(tx, event, id_of(obj, "customer"), owner, created, deps)
    if facts is None:
        return touched
    touched |= owners_of(tx, "purchases", facts.payment_intent_id)  # an owner it may lose
    apply_purchase_facts(tx, facts, attribution)
    return touched | owners_of(tx, "purchases", facts.payment_intent_id)
