"""The movements of a month read one project's history by index ranges wherever the month falls,
and join only the subscriptions with a snapshot in it: checked on the plan PostgreSQL picks over
20,000 subscriptions of the project (three snapshots each, 30 days apart) beside 5,000 of
another. The tables are vacuumed first, as autovacuum does: index-only scans need the
visibility map. (A window holding most of the history may rightly read the table instead.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, text

from shared.metrics.queries import MOVEMENTS
from shared.metrics.report import Window

SEED = """
INSERT INTO projects (id, name) VALUES ('acme', 'acme'), ('globex', 'globex');
INSERT INTO customers (id, project_id, user_id, linked_by_created)
    SELECT 'cus_' || g, CASE WHEN g <= 20000 THEN 'acme' ELSE 'globex' END, 'u' || g, 1
    FROM generate_series(1, 25000) g;
INSERT INTO subscriptions (id, customer_id, status, status_rank, product_ids,
                           cancel_at_period_end, snapshot_created, currency, mrr,
                           first_paying_created, first_paying_mrr, first_paying_currency)
    SELECT 'sub_' || g, 'cus_' || g, 'active', 2, '{prod_pro}', false,
           :day0 + (g % 180) * 86400 + 60 * 86400, 'usd', 2000,
           :day0 + (g % 180) * 86400 + 30 * 86400, 2000, 'usd'
    FROM generate_series(1, 25000) g;
INSERT INTO subscription_history (subscription_id, created, status, status_rank, deleted,
                                  paying, mrr, currency, not_counted, valid_to)
    SELECT 'sub_' || g, :day0 + (g % 180) * 86400 + k * 30 * 86400,
           CASE k WHEN 0 THEN 'trialing' ELSE 'active' END, 2, false, k > 0, 2000, 'usd', false,
           CASE WHEN k < 2 THEN :day0 + (g % 180) * 86400 + (k + 1) * 30 * 86400 END
    FROM generate_series(1, 25000) g, generate_series(0, 2) k
"""
DAY0 = Window.parse("2026-01-01", "2026-01-01").params["start"]
WINDOWS = {
    "before the first snapshots": ("2025-11-01", "2025-11-30"),
    "early": ("2026-01-01", "2026-01-31"),
    "in the middle": ("2026-03-01", "2026-03-31"),
    "recent": ("2026-07-20", "2026-08-19"),
}

NOT_TABLES = ("CTE Scan", "WorkTable Scan", "Subquery Scan")


def scans(node: dict[str, Any]) -> list[str]:
    """Each scan of a table or index in the plan: its type and index (else table)."""
    found = [f"{node['Node Type']} {node.get('Index Name', node.get('Relation Name', ''))}"]
    for child in node.get("Plans", []):
        found += scans(child)
    return [scan for scan in found if "Scan" in scan and not scan.startswith(NOT_TABLES)]


@pytest.fixture
def seeded(clean_db: Engine) -> Engine:
    with clean_db.begin() as tx:
        for statement in SEED.split(";"):
            tx.execute(text(statement), {"day0": DAY0})
    with clean_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE subscription_history, subscriptions")
    return clean_db


@pytest.mark.parametrize("name", list(WINDOWS))
def test_movements_read_the_history_by_index_ranges(seeded: Engine, name: str) -> None:
    params = {"p": "acme", **Window.parse(*WINDOWS[name]).params}
    with seeded.connect() as conn:
        plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + MOVEMENTS.sql), params).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found = scans(plan[0]["Plan"])
    assert not [scan for scan in found if scan.startswith(("Seq Scan", "Bitmap"))], (name, found)
    assert "Index Only Scan ix_subscription_history_by_created" in found, (name, found)
    assert "Index Only Scan ix_subscription_history_by_valid_to" in found, (name, found)
