"""Every metrics statement, written once for both drivers (the read API's asyncpg, the CLI's
SQLAlchemy). All aggregate in SQL on indexes; no row of a subscription reaches Python."""

from __future__ import annotations

from shared.db.definitions import IS_PURCHASE_SQL, PAID_PURCHASE_STATUS_SQL
from shared.db.ownership import JOIN_CUSTOMER, owned_by_project
from shared.db.sql import Statement
from shared.statuses import PAYING_SUBSCRIPTION_STATUSES, sql_list

OWNED = f"{JOIN_CUSTOMER} WHERE {owned_by_project(':p')}"
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
# Each subscription of the project that ever paid: its state at the window's start and end
# (the newest snapshot before each, by `valid_to` spans) and its first paying snapshot.
# :start and :end are unix seconds, the window [start, end).
_PER_SUBSCRIPTION = f"""
    WITH subs AS MATERIALIZED (SELECT o.id FROM subscriptions o {OWNED}),
    firsts AS MATERIALIZED (
        SELECT h.subscription_id AS id, min(h.created) AS first_paid
        FROM subscription_history h JOIN subs ON subs.id = h.subscription_id
        WHERE h.paying GROUP BY h.subscription_id),
    at_start AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency
        FROM subscription_history h
        WHERE h.created < :start AND (h.valid_to IS NULL OR h.valid_to >= :start)),
    at_end AS (
        SELECT h.subscription_id AS id, h.paying, h.mrr, h.currency
        FROM subscription_history h
        WHERE h.created < :end AND (h.valid_to IS NULL OR h.valid_to >= :end)),
    per_sub AS (
        SELECT f.id, f.first_paid,
               coalesce(s.paying, false) AS paying0, coalesce(e.paying, false) AS paying1,
               s.mrr AS mrr0, e.mrr AS mrr1, s.currency AS currency0, e.currency AS currency1,
               f.first_paid >= :start AND f.first_paid < :end AS is_new
        FROM firsts f LEFT JOIN at_start s ON s.id = f.id LEFT JOIN at_end e ON e.id = f.id)"""
MOVEMENT_COUNTS = Statement(
    f"""{_PER_SUBSCRIPTION}
    SELECT count(*) FILTER (WHERE paying0) AS active_at_start,
           count(*) FILTER (WHERE is_new) AS new,
           count(*) FILTER (WHERE paying0 AND NOT paying1) AS churned,
           count(*) FILTER (WHERE first_paid < :start AND NOT paying0 AND paying1) AS reactivated,
           count(*) FILTER (WHERE paying1) AS active_at_end
    FROM per_sub"""
)
# MRR that came (the first paying snapshot of a new subscription), left (a churned one's at the
# start), grew or shrank (one paying at both ends, in the currency it has at the end).
MOVEMENT_MRR = Statement(
    f"""{_PER_SUBSCRIPTION},
    moves AS (
        SELECT h.currency, h.mrr AS new_mrr, 0 AS churned_mrr, 0 AS expansion_mrr,
               0 AS contraction_mrr
        FROM per_sub JOIN subscription_history h
          ON h.subscription_id = per_sub.id AND h.created = per_sub.first_paid
        WHERE is_new
        UNION ALL
        SELECT currency0, 0, mrr0, 0, 0 FROM per_sub WHERE paying0 AND NOT paying1
        UNION ALL
        SELECT currency1, 0, 0, greatest(mrr1 - mrr0, 0), greatest(mrr0 - mrr1, 0)
        FROM per_sub WHERE paying0 AND paying1)
    SELECT currency, round(sum(new_mrr))::bigint AS new_mrr,
           round(sum(churned_mrr))::bigint AS churned_mrr,
           round(sum(expansion_mrr))::bigint AS expansion_mrr,
           round(sum(contraction_mrr))::bigint AS contraction_mrr
    FROM moves GROUP BY currency ORDER BY currency"""
)
