"""The subscriptions by status, the MRR, the purchase and the subscription revenue of a project
are index-only scans of their own indexes (migrations 0012, 0013) and answer exactly what
reading the tables answers: checked on 20,000 subscriptions, purchases and invoices of the
project beside 5,000 of another, in every status, deleted or not, some without a currency, some
refunded, some an invoice's payment or with no owner source, some invoices unpaid or of a
subscription never stored (owned through their customer). Vacuumed first, as autovacuum does:
index-only scans need the visibility map."""

from __future__ import annotations

import json
from itertools import product
from typing import Any

import pytest
from sqlalchemy import Engine, text

from shared.db.sql import Statement
from shared.metrics.queries import BY_STATUS, INVOICE_REVENUE, MRR, PURCHASE_REVENUE
from tests.db.query_plans.test_movements_uses_indexes import scans

SEED = """
INSERT INTO projects (id, name) VALUES ('acme', 'acme'), ('globex', 'globex');
INSERT INTO customers (id, project_id, user_id, linked_by_created)
    SELECT 'cus_' || g, CASE WHEN g <= 20000 THEN 'acme' ELSE 'globex' END, 'u' || g, 1
    FROM generate_series(1, 25000) g;
INSERT INTO subscriptions (id, customer_id, status, status_rank, product_ids,
                           cancel_at_period_end, snapshot_created, currency, mrr,
                           mrr_not_counted, deleted)
    SELECT 'sub_' || g, 'cus_' || g,
           (ARRAY['active', 'past_due', 'canceled', 'trialing', 'incomplete'])[1 + g % 5], 2,
           '{prod_pro}', false, 1, (ARRAY['usd', 'eur', NULL])[1 + g % 3],
           (g % 7) * 1000 / 3.0, g % 11 = 0, g % 13 = 0
    FROM generate_series(1, 25000) g;
INSERT INTO purchases (payment_intent_id, checkout_session_id, customer_id, names_user,
                       invoice_id, amount_minor, amount_refunded_minor, currency, payment_status,
                       payment_created)
    SELECT 'pi_' || g, CASE WHEN g % 2 = 0 THEN 'cs_' || g END, 'cus_' || g, g % 3 = 0,
           CASE WHEN g % 17 = 0 THEN 'in_' || g END,
           CASE WHEN g % 19 <> 0 THEN 500 + g % 95 END,
           CASE WHEN g % 10 = 0 THEN 600 WHEN g % 10 = 1 THEN 100 ELSE 0 END,
           (ARRAY['usd', 'eur', NULL])[1 + g % 3],
           (ARRAY['succeeded', 'succeeded', 'failed', 'pending'])[1 + g % 4], 1
    FROM generate_series(1, 25000) g;
INSERT INTO subscription_invoices (invoice_id, subscription_id, customer_id, payment_intent_id,
                                   currency, amount_paid, paid, created)
    SELECT 'in_' || g, CASE WHEN g % 4 <> 0 THEN 'sub_' || g ELSE 'sub_gone_' || g END,
           'cus_' || g, CASE WHEN g % 5 <> 0 THEN 'pi_' || g END,
           (ARRAY['usd', 'eur', NULL])[1 + g % 3], 400 + g % 300, g % 6 <> 0, 1
    FROM generate_series(1, 25000) g
"""
STATEMENTS = {
    "by status": (BY_STATUS, "ix_subscriptions_by_status"),
    "mrr": (MRR, "ix_subscriptions_paying_mrr"),
    "purchase revenue": (PURCHASE_REVENUE, "ix_purchases_paid_revenue"),
    "subscription revenue": (INVOICE_REVENUE, "ix_subscription_invoices_revenue"),
}
# The invoices' table is narrow: for the project holding 80 % of its rows, reading the table is
# as cheap as its index and PostgreSQL may choose either; for the other, the index.
NARROW_TABLE = {"subscription revenue"}
TABLES_ONLY = "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; " \
              "SET LOCAL enable_bitmapscan = off"  # fmt: skip


@pytest.fixture
def seeded(clean_db: Engine) -> Engine:
    with clean_db.begin() as tx:
        for statement in SEED.split(";"):
            tx.execute(text(statement))
    with clean_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE subscriptions, purchases, subscription_invoices")
    return clean_db


def _plan(engine: Engine, statement: Statement, project: str) -> list[str]:
    with engine.connect() as conn:
        plan: Any = conn.execute(
            text("EXPLAIN (FORMAT JSON) " + statement.sql), {"p": project}
        ).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return scans(plan[0]["Plan"])


def test_each_aggregate_is_an_index_only_scan_of_its_index(seeded: Engine) -> None:
    for name, (statement, index) in STATEMENTS.items():
        for project in ("acme", "globex"):
            found = _plan(seeded, statement, project)
            allowed = [[f"Index Only Scan {index}"]]
            if name in NARROW_TABLE and project == "acme":  # 80 % of a narrow table's rows
                allowed.append([f"Seq Scan {statement.sql.split('FROM ')[1].split()[0]}"])
            assert found in allowed, (name, project, found)


def test_each_aggregate_answers_what_the_tables_answer(seeded: Engine) -> None:
    for (name, (statement, _)), project in product(STATEMENTS.items(), ("acme", "globex", "x")):
        with seeded.begin() as tx:
            by_index = tx.execute(statement.sync, {"p": project}).all()
        with seeded.begin() as tx:
            tx.exec_driver_sql(TABLES_ONLY)
            by_table = tx.execute(statement.sync, {"p": project}).all()
        assert by_index == by_table, (name, project)
        assert by_index or project == "x"
