"""Every statement writing `subscription_history`: each applied snapshot's effective state by
`created`, so metrics can read any subscription's state at any moment.

The rows are a function of the set of snapshots seen, not of their order: one row per
`created` (on a tie the same total order as the current snapshot's), and each row's `valid_to`
is the next row's `created`, rewritten for the subscription after every insert. The caller
holds the subscription's row lock (its upsert), so two snapshots of one subscription never
write here at once.
"""

from __future__ import annotations

from sqlalchemy import Connection

from shared.db.direct import run
from shared.db.sql import Statement
from shared.records import SubscriptionSnapshot

INSERT = Statement(
    """INSERT INTO subscription_history AS h
           (subscription_id, created, status, status_rank, deleted, paying, mrr, currency,
            not_counted)
       VALUES (:id, :created, :status, :status_rank, :deleted, :paying, :mrr, :currency,
               :not_counted)
       ON CONFLICT (subscription_id, created) DO UPDATE SET
           status = excluded.status, status_rank = excluded.status_rank,
           deleted = excluded.deleted, paying = excluded.paying, mrr = excluded.mrr,
           currency = coalesce(excluded.currency, h.currency), not_counted = excluded.not_counted
       WHERE (excluded.deleted, excluded.status_rank, excluded.mrr)
           > (h.deleted, h.status_rank, h.mrr)
       RETURNING (xmax = 0) AS inserted"""
)
# Only when a row was added: the spans of the subscription's rows, each up to the next.
RESPAN = Statement(
    """UPDATE subscription_history h SET valid_to = n.next
       FROM (SELECT created, lead(created) OVER (ORDER BY created) AS next
             FROM subscription_history WHERE subscription_id = :id) n
       WHERE h.subscription_id = :id AND h.created = n.created
         AND h.valid_to IS DISTINCT FROM n.next"""
)


# The earliest paying snapshot (on a tie, the larger MRR): the same whatever the order.
FIRST_PAYING = Statement(
    """UPDATE subscriptions SET first_paying_created = :created, first_paying_mrr = :mrr,
           first_paying_currency = :currency
       WHERE id = :id AND (first_paying_created IS NULL
           OR CAST(:created AS bigint) < first_paying_created
           OR (CAST(:created AS bigint) = first_paying_created
               AND CAST(:mrr AS numeric) > first_paying_mrr))"""
)


def record_snapshot(tx: Connection, snapshot: SubscriptionSnapshot) -> None:
    row = run(
        tx,
        INSERT,
        {
            "id": snapshot.id,
            "created": snapshot.created,
            "status": snapshot.status,
            "status_rank": snapshot.status_rank,
            "deleted": snapshot.deleted,
            "paying": snapshot.paying,
            "mrr": snapshot.mrr,
            "currency": snapshot.currency,
            "not_counted": snapshot.mrr_not_counted,
        },
    ).first()
    if row is not None and row.inserted:
        run(tx, RESPAN, {"id": snapshot.id})
    if snapshot.paying:
        first = {"id": snapshot.id, "created": snapshot.created, "mrr": snapshot.mrr}
        run(tx, FIRST_PAYING, {**first, "currency": snapshot.currency})
