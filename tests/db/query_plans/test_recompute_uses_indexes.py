"""The recompute's reads use indexes, so the cost of an event does not grow with the tables:
checked on the plan PostgreSQL picks with 20,000 customers, subscriptions and purchases (and
two history rows a subscription, read for the grace period)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, TextClause, text

from shared.entitlements.recompute import PURCHASES, SUBSCRIPTIONS
from shared.operations.lookups import PURCHASES_OF_USER, SUBSCRIPTIONS_OF_USER
from shared.state.ownership import OWNER_OF

SEED = """
INSERT INTO projects (id, name) VALUES ('acme', 'acme');
INSERT INTO customers (id, project_id, user_id, linked_by_created)
    SELECT 'cus_' || g, 'acme', 'u' || g, 1 FROM generate_series(1, 20000) g;
INSERT INTO subscriptions (id, customer_id, status, status_rank, product_ids,
                           cancel_at_period_end, snapshot_created, named_user_id)
    SELECT 'sub_' || g, 'cus_' || g, 'active', 2, '{prod_pro}', false, 1,
           CASE WHEN mod(g, 10) = 0 THEN 'u' || g END
    FROM generate_series(1, 20000) g;
INSERT INTO purchases (payment_intent_id, customer_id, names_user, payment_status, amount_minor)
    SELECT 'pi_' || g, 'cus_' || g, true, 'succeeded', 100 FROM generate_series(1, 20000) g;
INSERT INTO subscription_history (subscription_id, created, status, status_rank, deleted,
                                  paying, mrr, currency, not_counted)
    SELECT 'sub_' || g, k, CASE k WHEN 1 THEN 'active' ELSE 'past_due' END, 2, false, true,
           2000, 'usd', false
    FROM generate_series(1, 20000) g, generate_series(1, 2) k;
ANALYZE;
"""


def scans(node: dict[str, Any]) -> list[str]:
    found = [f"{node['Node Type']} {node.get('Relation Name', '')}".strip()]
    for child in node.get("Plans", []):
        found += scans(child)
    return [scan for scan in found if "Scan" in scan]


@pytest.mark.parametrize(
    ("name", "query", "params"),
    [
        ("recompute subscriptions", SUBSCRIPTIONS, {"ps": ["acme"] * 2, "us": ["u7", "u777"]}),
        ("recompute purchases", PURCHASES, {"ps": ["acme"] * 2, "us": ["u7", "u777"]}),
        ("look-up subscriptions", SUBSCRIPTIONS_OF_USER, {"p": "acme", "u": "u777"}),
        ("look-up purchases", PURCHASES_OF_USER, {"p": "acme", "u": "u777"}),
        ("owner of a subscription", OWNER_OF["subscriptions"].sync, {"id": "sub_777"}),
        ("owner of a purchase", OWNER_OF["purchases"].sync, {"id": "pi_777"}),
    ],
)
def test_per_event_reads_use_indexes_not_table_scans(
    clean_db: Engine, name: str, query: TextClause, params: dict[str, object]
) -> None:
    with clean_db.begin() as tx:
        tx.exec_driver_sql(SEED)
    with clean_db.connect() as conn:
        plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + query.text), params).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found = scans(plan[0]["Plan"])
    assert found and not [scan for scan in found if scan.startswith("Seq Scan")], (name, found)
