"""Subscription snapshots and invoice outcomes, applied only when newer (compare-and-set in SQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, text

from shared.db.direct import run
from shared.db.sql import Statement
from shared.records import InvoiceOutcome, SubscriptionSnapshot
from shared.state.ownership import Attribution, assign_object_owner
from shared.state.subscription_history import record_snapshot

# A deletion beats any snapshot that is not one, whatever its `created` (so a deleted
# subscription never comes back, in any delivery order); then the newest `created` wins; on a
# tie the later lifecycle state, then the later period end, then the content itself (so two
# different snapshots of one second still give one answer). A total order: order-independent.
UPSERT_SNAPSHOT = Statement(
    """
    INSERT INTO subscriptions AS s
        (id, customer_id, status, status_rank, product_ids, current_period_end,
         cancel_at_period_end, currency, deleted, snapshot_created, mrr, mrr_not_counted)
    VALUES (:id, :customer_id, :status, :status_rank, :product_ids, :current_period_end,
            :cancel_at_period_end, :currency, :deleted, :created, :mrr, :mrr_not_counted)
    ON CONFLICT (id) DO UPDATE SET
        mrr = excluded.mrr,
        mrr_not_counted = excluded.mrr_not_counted,
        status = excluded.status,
        status_rank = excluded.status_rank,
        product_ids = excluded.product_ids,
        current_period_end = excluded.current_period_end,
        cancel_at_period_end = excluded.cancel_at_period_end,
        currency = coalesce(excluded.currency, s.currency),
        customer_id = least(s.customer_id, excluded.customer_id),
        deleted = excluded.deleted,
        snapshot_created = excluded.snapshot_created,
        updated_at = now()
    WHERE (excluded.deleted, excluded.snapshot_created, excluded.status_rank,
           coalesce(excluded.current_period_end, 'epoch'), excluded.cancel_at_period_end,
           excluded.product_ids, excluded.mrr)
        > (s.deleted, s.snapshot_created, s.status_rank, coalesce(s.current_period_end, 'epoch'),
           s.cancel_at_period_end, s.product_ids, s.mrr)
    """
)
UPSERT_PAYMENT = Statement(
    """
    INSERT INTO subscription_payments AS p
        (subscription_id, invoice_id, outcome, occurred_at, event_created)
    VALUES (:subscription_id, :invoice_id, :outcome, :occurred_at, :created)
    ON CONFLICT (subscription_id) DO UPDATE SET
        invoice_id = excluded.invoice_id,
        outcome = excluded.outcome,
        occurred_at = excluded.occurred_at,
        event_created = excluded.event_created
    WHERE (excluded.event_created, excluded.outcome = 'paid')
        > (p.event_created, p.outcome = 'paid')
    """
)

UPSERT_INVOICE = Statement(
    """
    INSERT INTO subscription_invoices AS i
        (invoice_id, subscription_id, customer_id, payment_intent_id, currency, amount_paid,
         paid, created)
    VALUES (:invoice_id, :subscription_id, :customer_id, :payment_intent_id, :currency,
            :amount_paid, :paid, :created)
    ON CONFLICT (invoice_id) DO UPDATE SET
        subscription_id = coalesce(i.subscription_id, excluded.subscription_id),
        customer_id = coalesce(i.customer_id, excluded.customer_id),
        payment_intent_id = coalesce(i.payment_intent_id, excluded.payment_intent_id),
        currency = coalesce(i.currency, excluded.currency),
        amount_paid = greatest(i.amount_paid, excluded.amount_paid),
        paid = i.paid OR excluded.paid,
        created = least(i.created, excluded.created)
    """
)


def apply_subscription_snapshot(
    tx: Connection,
    snapshot: SubscriptionSnapshot,
    attribution: Attribution,
) -> bool:
    """Store the snapshot if it is newer than the stored one; True when it was."""
    result = run(
        tx,
        UPSERT_SNAPSHOT,
        {
            "id": snapshot.id,
            "customer_id": snapshot.customer_id,
            "status": snapshot.status,
            "status_rank": snapshot.status_rank,
            "product_ids": list(snapshot.product_ids),
            "current_period_end": snapshot.current_period_end,
            "cancel_at_period_end": snapshot.cancel_at_period_end,
            "currency": snapshot.currency,
            "deleted": snapshot.deleted,
            "created": snapshot.created,
            "mrr": snapshot.mrr,
            "mrr_not_counted": snapshot.mrr_not_counted,
        },
    )
    record_snapshot(tx, snapshot)
    assign_object_owner(tx, "subscriptions", snapshot.id, attribution, snapshot.created)
    return result.rowcount > 0


def record_invoice_outcome(tx: Connection, outcome: InvoiceOutcome) -> None:
    """The latest payment outcome of a subscription; it never changes the subscription's status.
    The invoice itself is kept for revenue: paid once any event says so, whatever the order."""
    if outcome.subscription_id is None:
        return
    run(
        tx,
        UPSERT_INVOICE,
        {
            "invoice_id": outcome.invoice_id,
            "subscription_id": outcome.subscription_id,
            "customer_id": outcome.customer_id,
            "payment_intent_id": outcome.payment_intent_id,
            "currency": outcome.currency,
            "amount_paid": outcome.amount_paid if outcome.outcome == "paid" else 0,
            "paid": outcome.outcome == "paid",
            "created": outcome.created,
        },
    )
    run(
        tx,
        UPSERT_PAYMENT,
        {
            "subscription_id": outcome.subscription_id,
            "invoice_id": outcome.invoice_id,
            "outcome": outcome.outcome,
            "occurred_at": outcome.occurred_at,
            "created": outcome.created,
        },
    )


SNAPSHOTS = text("SELECT id, status, current_period_end FROM subscriptions WHERE id = ANY(:ids)")


def stored_snapshots(conn: Connection, ids: list[str]) -> dict[str, Row[Any]]:
    """Status and period end of the stored subscriptions among `ids`, by id (for comparing)."""
    return {row.id: row for row in conn.execute(SNAPSHOTS, {"ids": ids})}
