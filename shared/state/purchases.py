"""PaymentIntents as purchases: every event adds what it knows; order does not matter.

Facts that two events could state differently are merged by a rule that ignores arrival order
(least/greatest, which skip NULLs; the owner of the earliest event).

`succeeded` never falls back, the refunded amount only grows, and otherwise the newest event's
payment status wins. The purchase's own status (refunded, partially_refunded…) is a generated
column of the table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, text

from shared.db.direct import run
from shared.db.sql import Statement
from shared.records import PurchaseFacts
from shared.state.ownership import Attribution, assign_object_owner

UPSERT_FACTS = Statement(
    """
    INSERT INTO purchases AS p
        (payment_intent_id, checkout_session_id, customer_id, names_user, invoice_id,
         product_id, amount_minor, amount_refunded_minor, currency, payment_status,
         payment_created)
    VALUES (:pi, :session, :customer, :names_user, :invoice, :product, :amount, :refunded,
            :currency, coalesce(CAST(:payment_status AS text), 'pending'),
            CASE WHEN CAST(:payment_status AS text) IS NULL THEN 0 ELSE :created END)
    ON CONFLICT (payment_intent_id) DO UPDATE SET
        checkout_session_id = least(p.checkout_session_id, excluded.checkout_session_id),
        customer_id = least(p.customer_id, excluded.customer_id),
        names_user = p.names_user OR excluded.names_user,
        invoice_id = least(p.invoice_id, excluded.invoice_id),
        product_id = least(p.product_id, excluded.product_id),
        amount_minor = greatest(p.amount_minor, excluded.amount_minor),
        currency = least(p.currency, excluded.currency),
        amount_refunded_minor = greatest(p.amount_refunded_minor, excluded.amount_refunded_minor),
        payment_status = CASE
            WHEN excluded.payment_created = 0 THEN p.payment_status
            WHEN 'succeeded' IN (p.payment_status, excluded.payment_status) THEN 'succeeded'
            WHEN (excluded.payment_created, excluded.payment_status = 'failed')
               > (p.payment_created, p.payment_status = 'failed') THEN excluded.payment_status
            ELSE p.payment_status END,
        payment_created = greatest(p.payment_created, excluded.payment_created),
        updated_at = now()
    """
)


def apply_purchase_facts(
    tx: Connection,
    facts: PurchaseFacts,
    attribution: Attribution,
) -> None:
    run(
        tx,
        UPSERT_FACTS,
        {
            "pi": facts.payment_intent_id,
            "session": facts.checkout_session_id,
            "customer": facts.customer_id,
            "names_user": facts.names_user,
            "invoice": facts.invoice_id,
            "product": facts.product_id,
            "amount": facts.amount_minor,
            "refunded": facts.amount_refunded_minor,
            "currency": facts.currency,
            "payment_status": facts.payment_status,
            "created": facts.created,
        },
    )
    assign_object_owner(tx, "purchases", facts.payment_intent_id, attribution, facts.created)


PAYMENTS = text(
    """SELECT payment_intent_id, payment_status, amount_refunded_minor
       FROM purchases WHERE payment_intent_id = ANY(:ids)"""
)


def stored_payments(conn: Connection, ids: list[str]) -> dict[str, Row[Any]]:
    """Payment status and refunded amount of the stored PaymentIntents among `ids`, by id."""
    return {row.payment_intent_id: row for row in conn.execute(PAYMENTS, {"ids": ids})}
