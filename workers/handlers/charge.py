"""charge.refunded → the refunded amount of the charge's PaymentIntent (it only grows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import Attribution, hold_customer, owners_of
from shared.state.purchases import apply_purchase_facts
from workers.handlers.deps import HandlerDeps
from workers.payloads.charge import refund_facts


def apply_charge_refunded(tx: Connection, event: dict[str, Any], deps: HandlerDeps) -> set[Owner]:
    facts = refund_facts(event)
    if facts is None:
        return set()
    hold_customer(tx, facts.customer_id)
    apply_purchase_facts(tx, facts, Attribution())
    return owners_of(tx, "purchases", facts.payment_intent_id)
