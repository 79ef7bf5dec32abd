"""`billing metrics` and the dashboard: the read API's metrics of one project, from the same SQL
(sync driver)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.db.sql import Statement
from shared.metrics import queries
from shared.metrics.report import (
    Window,
    by_day_json,
    movements_json,
    mrr_json,
    revenue_json,
    subscriptions_json,
)


def _rows(
    conn: Connection, statement: Statement, project_id: str, **params: Any
) -> list[dict[str, Any]]:
    result = conn.execute(statement.sync, {"p": project_id, **params})
    return [dict(row) for row in result.mappings()]


def project_metrics(
    conn: Connection, project_id: str, window: Window | None, by_day: bool = False
) -> dict[str, Any]:
    """MRR, revenue and, given a window, movements: as the API answers each; with `by_day`,
    also MRR and revenue for each day of the window (the dashboard's charts)."""

    def rows(statement: Statement, **params: Any) -> list[dict[str, Any]]:
        return _rows(conn, statement, project_id, **params)

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
        if by_day:
            report["by_day"] = by_day_json(
                project_id,
                window,
                rows(queries.MRR_BY_DAY, **window.params),
                rows(queries.REVENUE_BY_DAY, **window.params),
            )
    return report


def project_subscriptions(conn: Connection, project_id: str) -> dict[str, Any]:
    """Subscriptions by status, as GET …/metrics/project/{id}/subscriptions answers."""
    return subscriptions_json(project_id, _rows(conn, queries.BY_STATUS, project_id))
