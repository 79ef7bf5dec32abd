"""Project metrics for apps (CONTRACT sections 4 and 10): the shared SQL aggregates, answered
from the asyncpg pool."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_app
from ingress.context import IngressContext
from shared.db.sql import Statement
from shared.metrics import queries
from shared.metrics.report import (
    BadWindow,
    Window,
    movements_json,
    mrr_json,
    revenue_json,
    subscriptions_json,
)


async def _fetch(request: Request, statement: Statement, **params: Any) -> list[Any]:
    ctx: IngressContext = request.app.state.ctx
    rows: list[Any] = await ctx.pool.fetch(statement.asyncpg_sql, *statement.asyncpg_args(params))
    return rows


async def _fetch_planned(request: Request, statement: Statement, **params: Any) -> list[Any]:
    """Planned for these parameters: from asyncpg's statement cache PostgreSQL may, after five
    runs, settle on one generic plan, and so on one index range for every window."""
    ctx: IngressContext = request.app.state.ctx
    async with ctx.pool.acquire() as conn:
        prepared = await conn.prepare(statement.asyncpg_sql)
        rows: list[Any] = await prepared.fetch(*statement.asyncpg_args(params))
    return rows


async def subscription_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    rows = await _fetch(request, queries.BY_STATUS, p=project_id)
    return JSONResponse(subscriptions_json(project_id, rows))


async def revenue_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    purchases = await _fetch(request, queries.PURCHASE_REVENUE, p=project_id)
    invoices = await _fetch(request, queries.INVOICE_REVENUE, p=project_id)
    return JSONResponse(revenue_json(project_id, purchases, invoices))


async def mrr_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    rows = await _fetch(request, queries.MRR, p=project_id)
    return JSONResponse(mrr_json(project_id, rows))


async def movement_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    try:
        window = Window.parse(request.query_params.get("from"), request.query_params.get("to"))
    except BadWindow as bad:
        return JSONResponse({"error": str(bad)}, status_code=400)
    rows = await _fetch_planned(request, queries.MOVEMENTS, p=project_id, **window.params)
    return JSONResponse(movements_json(project_id, window, rows))
