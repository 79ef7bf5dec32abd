"""Every metrics statement, written once for both drivers (the read API's asyncpg, the CLI's
SQLAlchemy). All aggregate in SQL on indexes; no row of a subscription reaches Python."""

from __future__ import annotations

from shared.db.definitions import IS_PURCHASE_SQL, PAID_PURCHASE_STATUS_SQL
from shared.db.sql import Statement
from shared.statuses import PAYING_SUBSCRIPTION_STATUSES, sql_list

OWNED = "WHERE o.owner_project_id = :p"  # the effective owner kept on each object
PAYING_SQL = sql_list(PAYING_SUBSCRIPTION_STATUSES)

BY_STATUS = Statement(
    f"""SELECT o.status, count(*) AS n FROM subscriptions o {OWNED}
        GROUP BY o.status ORDER BY o.status"""
)
# A purchase: owner source, not an invoice's payment, paid at some point (refunds included).
PURCHASE_REVENUE = Statement(
    f"""SELECT o.currency,
           sum(coalesce(o.amount_minor, 0))::bigint AS gross,
           sum(least(o.amount_refunded_minor, coalesce(o.amount_minor, 0)))::bigint AS refunded,
           count(*) AS n
        FROM purchases o {OWNED}
          AND {IS_PURCHASE_SQL} AND o.status IN {PAID_PURCHASE_STATUS_SQL}
        GROUP BY o.currency ORDER BY o.currency"""
)
# Paid subscription invoices and the refunds of their payments; the subscription's owner, else
# the invoice's customer's: both kept on the invoice's row by triggers (migration 0013).
INVOICE_REVENUE = Statement(
    """SELECT i.currency,
           sum(i.amount_paid)::bigint AS gross,
           sum(i.refunded_minor)::bigint AS refunded,
           count(*) AS n
        FROM subscription_invoices i
        WHERE i.paid AND i.owner_project_id = :p
        GROUP BY i.currency ORDER BY i.currency"""
)
MRR = Statement(
    f"""SELECT o.currency, round(sum(o.mrr))::bigint AS mrr, count(*) AS paying,
           count(*) FILTER (WHERE o.mrr_not_counted) AS not_counted
        FROM subscriptions o {OWNED}
          AND NOT o.deleted AND o.status IN {PAYING_SQL}
        GROUP BY o.currency ORDER BY o.currency"""
)
# Each subscription of the project that ever paid: its state at the window's start and at its
# end (the history row whose span, `created` to `valid_to`, holds the moment), its first paying
# snapshot, in one currency (the one it has at the end, else at the start, else its first
# paying one). :start and :end are unix seconds, the window [start, end). The history rows carry
# their subscription's owner and first paying snapshot (migration 0011), so each part reads one
# index range of the project's rows and only the subscriptions with a snapshot in the window
# are joined:
# - `moved`: a subscription with a snapshot in the window; its state at the end is its last one
#   there, at the start the one whose span the window cuts (ending inside it);
# - `held`: a subscription without, one row spanning the whole window: the same state at both
#   ends, so it counts only as paying at both or not, in aggregate;
# - `later`: one with no snapshot before the window's end, paying first after it (a snapshot is
#   kept at every first paying `created`, shared/state/subscription_history.py): nothing but its
#   currency, whose row (of zeros) the answer has always shown. Looked for only for a currency
#   of first payments that the other parts lack, one index probe each.
# Rows grouped by ROLLUP: the total row (currency NULL, `total`) holds the counts, each
# currency's row its MRR movements (each part's sums, rounded once in the end).
MOVEMENTS = Statement(
    """
    WITH RECURSIVE moved AS (
        SELECT coalesce(e.currency, s.currency, e.first_paying_currency) AS currency,
               e.first_paying_mrr AS first_mrr,
               coalesce(s.paying, false) AS paying0, e.paying AS paying1,
               coalesce(s.mrr, 0) AS mrr0, e.mrr AS mrr1,
               e.first_paying_created >= :start AND e.first_paying_created < :end AS is_new,
               e.first_paying_created < :start AS paid_before
        FROM subscription_history e
        LEFT JOIN subscription_history s ON s.subscription_id = e.subscription_id
            AND s.owner_project_id = :p AND s.first_paying_created IS NOT NULL
            AND s.valid_to >= :start AND s.valid_to < :end AND s.created < :start
        WHERE e.owner_project_id = :p AND e.first_paying_created IS NOT NULL
          AND e.created >= :start AND e.created < :end
          AND (e.valid_to IS NULL OR e.valid_to >= :end)),
    held AS (
        SELECT h.currency, h.first_paying_currency, h.paying FROM subscription_history h
        WHERE h.owner_project_id = :p AND h.first_paying_created IS NOT NULL
          AND h.valid_to IS NULL AND h.created < :start
        UNION ALL
        SELECT h.currency, h.first_paying_currency, h.paying FROM subscription_history h
        WHERE h.owner_project_id = :p AND h.first_paying_created IS NOT NULL
          AND h.valid_to >= :end AND h.created < :start),
    parts AS (
        SELECT currency,
               count(*) FILTER (WHERE paying0) AS active_at_start,
               count(*) FILTER (WHERE is_new) AS new,
               count(*) FILTER (WHERE paying0 AND NOT paying1) AS churned,
               count(*) FILTER (WHERE paid_before AND NOT paying0 AND paying1) AS reactivated,
               count(*) FILTER (WHERE paying1) AS active_at_end,
               sum(first_mrr) FILTER (WHERE is_new) AS new_mrr,
               sum(mrr0) FILTER (WHERE paying0 AND NOT paying1) AS churned_mrr,
               sum(greatest(mrr1 - mrr0, 0)) FILTER (WHERE paying0 AND paying1) AS expansion_mrr,
               sum(greatest(mrr0 - mrr1, 0)) FILTER (WHERE paying0 AND paying1)
                   AS contraction_mrr
        FROM moved GROUP BY currency
        UNION ALL
        SELECT coalesce(currency, first_paying_currency), count(*) FILTER (WHERE paying), 0, 0,
               0, count(*) FILTER (WHERE paying), NULL, NULL, NULL, NULL
        FROM held GROUP BY 1),
    firsts(currency) AS (
        SELECT min(o.first_paying_currency) FROM subscriptions o
        WHERE o.owner_project_id = :p AND o.first_paying_created IS NOT NULL
        UNION ALL
        SELECT (SELECT min(o.first_paying_currency) FROM subscriptions o
                WHERE o.owner_project_id = :p AND o.first_paying_created IS NOT NULL
                  AND o.first_paying_currency > f.currency)
        FROM firsts f WHERE f.currency IS NOT NULL),
    later(currency) AS (
        SELECT f.currency FROM firsts f
        WHERE f.currency IS NOT NULL
          AND CASE WHEN EXISTS (SELECT FROM parts WHERE parts.currency = f.currency) THEN false
              ELSE (SELECT true FROM subscriptions o
                    WHERE o.owner_project_id = :p AND o.first_paying_currency = f.currency
                      AND o.first_paying_created >= :end
                      AND NOT EXISTS (SELECT FROM subscription_history h
                                      WHERE h.owner_project_id = :p
                                        AND h.first_paying_created IS NOT NULL
                                        AND h.subscription_id = o.id AND h.created < :end)
                    ORDER BY o.first_paying_created DESC LIMIT 1) IS NOT NULL END
        UNION ALL
        SELECT NULL
        WHERE CASE WHEN EXISTS (SELECT FROM parts WHERE parts.currency IS NULL) THEN false
              ELSE (SELECT true FROM subscriptions o
                    WHERE o.owner_project_id = :p AND o.first_paying_currency IS NULL
                      AND o.first_paying_created >= :end
                      AND NOT EXISTS (SELECT FROM subscription_history h
                                      WHERE h.owner_project_id = :p
                                        AND h.first_paying_created IS NOT NULL
                                        AND h.subscription_id = o.id AND h.created < :end)
                    ORDER BY o.first_paying_created DESC LIMIT 1) IS NOT NULL END)
    SELECT currency, grouping(currency) = 1 AS total,
           coalesce(sum(active_at_start), 0)::bigint AS active_at_start,
           coalesce(sum(new), 0)::bigint AS new,
           coalesce(sum(churned), 0)::bigint AS churned,
           coalesce(sum(reactivated), 0)::bigint AS reactivated,
           coalesce(sum(active_at_end), 0)::bigint AS active_at_end,
           coalesce(round(sum(new_mrr)), 0)::bigint AS new_mrr,
           coalesce(round(sum(churned_mrr)), 0)::bigint AS churned_mrr,
           coalesce(round(sum(expansion_mrr)), 0)::bigint AS expansion_mrr,
           coalesce(round(sum(contraction_mrr)), 0)::bigint AS contraction_mrr
    FROM (SELECT * FROM parts
          UNION ALL
          SELECT currency, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL FROM later) AS all_parts
    GROUP BY ROLLUP (currency)"""
)
# MRR at the end of each UTC day of the window [start, end): each subscription's state then is
# its history row whose span holds the next midnight. One index range of the project's rows
# that ever paid (ix_subscription_history_by_created) per day.
MRR_BY_DAY = Statement(
    """SELECT d.day::date AS day, h.currency, round(sum(h.mrr))::bigint AS mrr,
              count(*) AS paying
       FROM generate_series(to_timestamp(:start) AT TIME ZONE 'UTC',
                            to_timestamp(:end) AT TIME ZONE 'UTC' - interval '1 day',
                            interval '1 day') AS d(day)
       JOIN subscription_history h
         ON h.owner_project_id = :p AND h.first_paying_created IS NOT NULL AND h.paying
        AND h.created < extract(epoch FROM d.day + interval '1 day')
        AND (h.valid_to IS NULL OR h.valid_to >= extract(epoch FROM d.day + interval '1 day'))
       GROUP BY 1, 2 ORDER BY 1, 2"""
)
# Gross revenue per UTC day of the window [start, end): purchases by the day their payment was
# created, paid subscription invoices by the day the invoice was, per currency.
REVENUE_BY_DAY = Statement(
    f"""SELECT paid.day, paid.currency, sum(paid.gross)::bigint AS gross FROM (
            SELECT (to_timestamp(o.payment_created) AT TIME ZONE 'UTC')::date AS day,
                   o.currency, coalesce(o.amount_minor, 0) AS gross
            FROM purchases o {OWNED}
              AND {IS_PURCHASE_SQL} AND o.status IN {PAID_PURCHASE_STATUS_SQL}
              AND o.payment_created >= :start AND o.payment_created < :end
            UNION ALL
            SELECT (to_timestamp(i.created) AT TIME ZONE 'UTC')::date, i.currency, i.amount_paid
            FROM subscription_invoices i
            WHERE i.paid AND i.owner_project_id = :p
              AND i.created >= :start AND i.created < :end) AS paid
        GROUP BY 1, 2 ORDER BY 1, 2"""
)
