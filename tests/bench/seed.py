"""A big account stored straight into the tables, in seconds: what the metrics and flat-cost
benches measure against. Customer `cus_N` belongs to user `uN` of project `acme` (which must
exist); subscription `sub_N` has three snapshots of history (trialing, active, then one of four
states), a paid invoice and the first paying snapshot kept; purchase `pi_seed_N` is one of four
one-time products, some failed, some refunded; the entitlements the rules would give them, at
version 1. Ids never meet those of the fault suite's world (`cus_f0001`, `user0001`).
"""

from __future__ import annotations

from sqlalchemy import Engine, text

DAY0 = 1_767_225_600  # 2026-01-01 UTC
MOVEMENTS_WINDOW = ("2026-03-01", "2026-03-31")  # where the seeded snapshots move
STATEMENTS = """
INSERT INTO customers (id, project_id, user_id, linked_by_created)
    SELECT 'cus_' || g, 'acme', 'u' || g, 1 FROM generate_series(1, greatest(:s, :p)) g;
INSERT INTO subscriptions (id, customer_id, status, status_rank, product_ids,
                           cancel_at_period_end, snapshot_created, current_period_end, currency,
                           mrr, first_paying_created, first_paying_mrr, first_paying_currency)
    SELECT 'sub_' || g, 'cus_' || g,
           (ARRAY['active', 'past_due', 'canceled', 'trialing'])[1 + g % 4], 2, '{prod_pro}',
           false, :day0 + (g % 180) * 86400 + 2 * 86400 * 30,
           to_timestamp(:day0 + (g % 180) * 86400 + 3 * 86400 * 30), 'usd', 2000 * (1 + g % 3),
           :day0 + (g % 180) * 86400 + 86400 * 30, 2000 * (1 + g % 3), 'usd'
    FROM generate_series(1, :s) g;
INSERT INTO subscription_history (subscription_id, created, status, status_rank, deleted,
                                  paying, mrr, currency, not_counted, valid_to)
    SELECT 'sub_' || g, :day0 + (g % 180) * 86400 + k * 86400 * 30,
           CASE k WHEN 0 THEN 'trialing' WHEN 1 THEN 'active'
                  ELSE (ARRAY['active', 'past_due', 'canceled', 'trialing'])[1 + g % 4] END,
           2, false,
           CASE k WHEN 0 THEN false WHEN 1 THEN true ELSE g % 4 IN (0, 1) END,
           2000 * (1 + g % 3), 'usd', false,
           CASE WHEN k < 2 THEN :day0 + (g % 180) * 86400 + (k + 1) * 86400 * 30 END
    FROM generate_series(1, :s) g, generate_series(0, 2) k;
INSERT INTO subscription_invoices (invoice_id, subscription_id, customer_id, payment_intent_id,
                                   currency, amount_paid, paid, created)
    SELECT 'in_seed_' || g, 'sub_' || g, 'cus_' || g, 'pi_in_seed_' || g, 'usd',
           2000 * (1 + g % 3), true, :day0 + (g % 180) * 86400 + 86400 * 30
    FROM generate_series(1, :s) g;
INSERT INTO purchases (payment_intent_id, checkout_session_id, customer_id, product_id,
                       amount_minor, amount_refunded_minor, currency, payment_status,
                       payment_created)
    SELECT 'pi_seed_' || g, CASE WHEN g % 2 = 0 THEN 'cs_seed_' || g END, 'cus_' || g,
           (ARRAY['prod_lifetime', 'prod_book_a', 'prod_book_b', 'prod_credits'])[1 + g % 4],
           500 + (g % 95) * 100,
           CASE WHEN g % 12 = 0 THEN 0 WHEN g % 10 = 0 THEN 500 + (g % 95) * 100
                WHEN g % 10 = 1 THEN 100 ELSE 0 END,
           CASE WHEN g % 5 = 0 THEN 'eur' ELSE 'usd' END,
           CASE WHEN g % 12 = 0 THEN 'failed' ELSE 'succeeded' END,
           :day0 + (g % 180) * 86400
    FROM generate_series(1, :p) g;
INSERT INTO entitlements (project_id, user_id, entitlement_key, source, source_id, product_id,
                          expires_at)
    SELECT 'acme', 'u' || g, 'prod_pro', 'subscription', 'sub_' || g, 'prod_pro',
           to_timestamp(:day0 + (g % 180) * 86400 + 3 * 86400 * 30)
    FROM generate_series(1, :s) g WHERE g % 4 <> 2
    UNION ALL
    SELECT 'acme', 'u' || substr(payment_intent_id, 9), product_id, 'purchase',
           payment_intent_id, product_id, NULL
    FROM purchases WHERE payment_intent_id LIKE 'pi_seed_%'
                     AND status IN ('succeeded', 'partially_refunded');
INSERT INTO entitlement_versions (project_id, user_id, version)
    SELECT 'acme', 'u' || g, 1 FROM generate_series(1, greatest(:s, :p)) g;
ANALYZE
"""


def seed(engine: Engine, subscriptions: int, purchases: int) -> None:
    """Store the account (project `acme` must exist), then ANALYZE every table."""
    params = {"s": subscriptions, "p": purchases, "day0": DAY0}
    with engine.begin() as tx:
        for statement in STATEMENTS.split(";"):
            tx.execute(text(statement), params)
