"""Every metrics statement, written once for both drivers (the read API's asyncpg, the CLI's
SQLAlchemy). All aggregate in SQL on indexes; no row of a subscription reaches Python."""

from __future__ import annotations

from shared.db.definitions import IS_PURCHASE_SQL, PAID_PURCHASE_STATUS_SQL
from shared.db.ownership import owned_by_project
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
# the invoice's customer's.
INVOICE_REVENUE = Statement(
    f"""SELECT i.currency,
           sum(i.amount_paid)::bigint AS gross,
           sum(least(coalesce(p.amount_refunded_minor, 0), i.amount_paid))::bigint AS refunded,
           count(*) AS n
        FROM subscription_invoices i
        LEFT JOIN subscriptions o ON o.id = i.subscription_id
        LEFT JOIN customers c ON c.id = coalesce(o.customer_id, i.customer_id)
        LEFT JOIN purchases p ON p.payment_intent_id = i.payment_intent_id
        WHERE i.paid AND {owned_by_project(":p")}
        GROUP BY i.currency ORDER BY i.currency"""
)
MRR = Statement(
    f"""SELECT o.currency, round(sum(o.mrr))::bigint AS mrr, count(*) AS paying,
           count(*) FILTER (WHERE o.mrr_not_counted) AS not_counted
        FROM subscriptions o {OWNED}
          AND NOT o.deleted AND o.status IN {PAYING_SQL}
        GROUP BY o.currency ORDER BY o.currency"""
)
# Each subscription of the project that ever paid: its state at the window's start and end (the
# history row whose `valid_to` span holds the moment) and its first paying snapshot (kept on the
# subscription), in one currency (the one it has last). Rows grouped by ROLLUP: the total row
# (currency NULL, `total`) holds the counts, each currency's row its MRR movements. :start and
# :end are unix seconds, the window [start, end).
MOVEMENTS = Statement(
    f"""
    WITH firsts AS (
        SELECT o.id, o.first_paying_created AS first_paid, o.first_paying_mrr AS first_mrr,
               o.first_paying_currency AS first_currency
        FROM subscriptions o {OWNED} AND o.first_paying_created IS NOT NULL),
    at_start AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency FROM subscription_history h
        WHERE h.created < :start AND (h.valid_to IS NULL OR h.valid_to >= :start)),
    at_end AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency FROM subscription_history h
        WHERE h.created < :end AND (h.valid_to IS NULL OR h.valid_to >= :end)),
    per_sub AS (
        SELECT coalesce(e.currency, s.currency, f.first_currency) AS currency, f.first_mrr,
               coalesce(s.paying, false) AS paying0, coalesce(e.paying, false) AS paying1,
               coalesce(s.mrr, 0) AS mrr0, coalesce(e.mrr, 0) AS mrr1,
               f.first_paid >= :start AND f.first_paid < :end AS is_new,
               f.first_paid < :start AS paid_before
        FROM firsts f LEFT JOIN at_start s ON s.id = f.id LEFT JOIN at_end e ON e.id = f.id)
    SELECT currency, grouping(currency) = 1 AS total,
           count(*) FILTER (WHERE paying0) AS active_at_start,
           count(*) FILTER (WHERE is_new) AS new,
           count(*) FILTER (WHERE paying0 AND NOT paying1) AS churned,
           count(*) FILTER (WHERE paid_before AND NOT paying0 AND paying1) AS reactivated,
           count(*) FILTER (WHERE paying1) AS active_at_end,
           coalesce(round(sum(first_mrr) FILTER (WHERE is_new)), 0)::bigint AS new_mrr,
           coalesce(round(sum(mrr0) FILTER (WHERE paying0 AND NOT paying1)), 0)::bigint
               AS churned_mrr,
           coalesce(round(sum(greatest(mrr1 - mrr0, 0)) FILTER (WHERE paying0 AND paying1)), 0)
               ::bigint AS expansion_mrr,
           coalesce(round(sum(greatest(mrr0 - mrr1, 0)) FILTER (WHERE paying0 AND paying1)), 0)
               ::bigint AS contraction_mrr
    FROM per_sub GROUP BY ROLLUP (currency)"""
)
