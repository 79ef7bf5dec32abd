"""invoice.payment_succeeded / payment_failed → the subscription's latest payment outcome.

Invoices never change a subscription's status; that comes only from subscription snapshots.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.records import Owner
from shared.state.ownership import Attribution, hold_customer, owners_of
from shared.state.purchases import apply_purchase_facts
from shared.state.subscriptions import record_invoice_outcome
from workers.handlers.deps import HandlerDeps
from workers.payloads.invoice import invoice_outcome, invoice_payment_facts


def apply_invoice_event(tx: Connection, event: dict[str, Any], deps: HandlerDeps) -> set[Owner]:
    outcome = invoice_outcome(event)
    hold_customer(tx, outcome.customer_id)
    record_invoice_outcome(tx, outcome)
    facts = invoice_payment_facts(outcome)
    if facts is None:
        return set()
    apply_purchase_facts(tx, facts, Attribution())
    return owners_of(tx, "purchases", facts.payment_intent_id)
