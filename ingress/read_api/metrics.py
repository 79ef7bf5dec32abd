"""Project metrics, aggregated by SQL: subscriptions by status, revenue per currency."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_app
from ingress.context import IngressContext
from shared.db.definitions import IS_PURCHASE_SQL, PAID_PURCHASE_STATUS_SQL
from shared.db.ownership import JOIN_CUSTOMER, owned_by_project
from shared.statuses import ENTITLING_SUBSCRIPTION_STATUSES

OWNED_BY_PROJECT = f"FROM {{table}} o {JOIN_CUSTOMER} WHERE {owned_by_project('$1')}"

BY_STATUS = f"""SELECT o.status, count(*) AS n {OWNED_BY_PROJECT.format(table="subscriptions")}
    GROUP BY o.status ORDER BY o.status"""
# A purchase: owner source, not an invoice's payment, paid at some point (refunds included).
REVENUE = f"""SELECT o.currency,
       sum(coalesce(o.amount_minor, 0))::bigint AS gross,
       sum(least(o.amount_refunded_minor, coalesce(o.amount_minor, 0)))::bigint AS refunded,
       count(*) AS purchases
    {OWNED_BY_PROJECT.format(table="purchases")}
      AND {IS_PURCHASE_SQL}
      AND o.status IN {PAID_PURCHASE_STATUS_SQL}
    GROUP BY o.currency ORDER BY o.currency"""


async def subscription_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    ctx: IngressContext = request.app.state.ctx
    by_status = {row["status"]: row["n"] for row in await ctx.pool.fetch(BY_STATUS, project_id)}
    active = sum(n for status, n in by_status.items() if status in ENTITLING_SUBSCRIPTION_STATUSES)
    return JSONResponse(
        {"project_id": project_id, "active_subscriptions": active, "by_status": by_status}
    )


async def revenue_metrics(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    ctx: IngressContext = request.app.state.ctx
    currencies = {
        (row["currency"] or "unknown"): {
            "gross": row["gross"],
            "refunded": row["refunded"],
            "net": row["gross"] - row["refunded"],
            "purchases": row["purchases"],
        }
        for row in await ctx.pool.fetch(REVENUE, project_id)
    }
    return JSONResponse({"project_id": project_id, "currencies": currencies})
