"""Reading the state an import leaves, to compare runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from shared.db.imports import create_import


def run_import(importer: Any, trigger: str = "cli") -> dict[str, Any]:
    row: dict[str, Any] = importer.run(create_import(importer.engine, trigger))
    return row


def entitled_users(engine: Engine, project_id: str, key: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id FROM entitlements WHERE project_id = :p AND entitlement_key = :k"),
            {"p": project_id, "k": key},
        )
        return {row.user_id for row in rows}


def state_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything an import decides, without the bookkeeping columns that record when."""
    queries = {
        "customers": "SELECT id, owner_project_id, owner_user_id FROM customers ORDER BY id",
        "subscriptions": """SELECT id, status, current_period_end, product_ids, customer_id,
                                   project_id, user_id FROM subscriptions ORDER BY id""",
        "purchases": """SELECT payment_intent_id, status, amount_minor, amount_refunded_minor,
                               product_id FROM purchases ORDER BY payment_intent_id""",
        "entitlements": """SELECT project_id, user_id, entitlement_key, source_id, expires_at
                           FROM entitlements ORDER BY 1, 2, 3""",
    }
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()
        }
