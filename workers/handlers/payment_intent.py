"""payment_intent.succeeded / payment_failed → what the PaymentIntent says about a purchase."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import attribute, owners_of
from shared.state.purchases import apply_purchase_facts
from workers.handlers.customer_link import link_customer_from_event
from workers.handlers.deps import HandlerDeps
from workers.payloads.payment_intent import payment_intent_facts


def apply_payment_intent_event(
    tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    facts = payment_intent_facts(event)
    attribution = attribute(tx, facts.owner, facts.payment_intent_id)
    facts = replace(facts, names_user=facts.names_user or attribution.names_user)
    owner = attribution.owner
    touched = link_customer_from_event(tx, event, facts.customer_id, owner, facts.created, deps)
    touched |= owners_of(tx, "purchases", facts.payment_intent_id)  # an owner it may lose
    apply_purchase_facts(tx, facts, attribution)
    return touched | owners_of(tx, "purchases", facts.payment_intent_id)
