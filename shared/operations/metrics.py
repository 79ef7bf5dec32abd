"""`billing metrics`: the read API's metrics of one project, from the same SQL (sync driver)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.db.sql import Statement
from shared.metrics import queries
from shared.metrics.report import Window, movements_json, mrr_json, revenue_json


def project_metrics(conn: Connection, project_id: str, window: Window | None) -> dict[str, Any]:
    """MRR, revenue and, given a window, movements: as the API answers each."""

    def rows(statement: Statement, **params: Any) -> list[dict[str, Any]]:
        result = conn.execute(statement.sync, {"p": project_id, **params})
        return [dict(row) for row in result.mappings()]

    report: dict[str, Any] = {
        "mrr": mrr_json(project_id, rows(queries.MRR)),
        "revenue": revenue_json(
            project_id, rows(queries.PURCHASE_REVENUE), rows(queries.INVOICE_REVENUE)
        ),
    }
    if window is not None:
        report["movements"] = movements_json(
            project_id, window, rows(queries.MOVEMENTS, **window.params)
        )
    return report
