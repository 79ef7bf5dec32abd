"""PaymentIntents as purchases: every event adds what it knows; order does not matter.

`succeeded` never falls back, the refunded amount only grows, and otherwise the newest event's
payment status wins. The purchase's own status (refunded, partially_refunded…) is a generated
column of the table.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from workers.owners import Owner
from workers.state.records import PurchaseFacts

UPSERT_FACTS = text(
    """
    INSERT INTO purchases AS p
        (payment_intent_id, checkout_session_id, customer_id, project_id, user_id,
         unattributed_project_id, names_user,
         invoice_id, product_id, amount_minor, amount_refunded_minor, currency,
         payment_status, payment_created)
    VALUES (:pi, :session, :customer, :project_id, :user_id, :unattributed, :names_user,
            :invoice, :product, :amount, :refunded, :currency,
            coalesce(CAST(:payment_status AS text), 'pending'),
            CASE WHEN CAST(:payment_status AS text) IS NULL THEN 0 ELSE :created END)
    ON CONFLICT (payment_intent_id) DO UPDATE SET
        checkout_session_id = coalesce(p.checkout_session_id, excluded.checkout_session_id),
        customer_id = coalesce(p.customer_id, excluded.customer_id),
        project_id = coalesce(p.project_id, excluded.project_id),
        user_id = CASE WHEN p.project_id IS NULL THEN excluded.user_id ELSE p.user_id END,
        unattributed_project_id = coalesce(p.unattributed_project_id,
                                           excluded.unattributed_project_id),
        names_user = p.names_user OR excluded.names_user,
        invoice_id = coalesce(p.invoice_id, excluded.invoice_id),
        product_id = coalesce(p.product_id, excluded.product_id),
        amount_minor = coalesce(p.amount_minor, excluded.amount_minor),
        currency = coalesce(p.currency, excluded.currency),
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
    owner: Owner | None,
    unattributed_project_id: str | None = None,
) -> None:
    tx.execute(
        UPSERT_FACTS,
        {
            "pi": facts.payment_intent_id,
            "session": facts.checkout_session_id,
            "customer": facts.customer_id,
            "project_id": owner.project_id if owner else None,
            "user_id": owner.user_id if owner else None,
            "unattributed": unattributed_project_id,
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
