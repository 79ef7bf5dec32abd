"""A user: what they are entitled to and why (the subscription or purchase granting each key,
and the product mapping that names it), from the look-up of CONTRACT section 8."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ingress.context import IngressContext
from ingress.dashboard.guard import refused, signed_in
from ingress.dashboard.render import page
from ingress.dashboard.session import Session
from shared.operations import apps
from shared.operations.customer_links import MAX_USER_ID_CHARS
from shared.operations.lookups import user_view
from shared.operations.products import product_mapping
from shared.tenants import TenantError, validate_project_id


@signed_in
async def user_lookup(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    project_id = (request.query_params.get("project") or "").strip()
    user_id = (request.query_params.get("user") or "").strip()
    projects = await run_in_threadpool(apps.projects, ctx.engine)
    context: dict[str, Any] = {"projects": projects, "project_id": project_id, "user_id": user_id}
    if not project_id and not user_id:
        return page(request, "user.html", session, **context)
    if len(user_id) > MAX_USER_ID_CHARS or "\x00" in user_id or not user_id:
        return refused(request, session, 400, "Give a user id of 1 to 255 characters.")
    try:
        validate_project_id(project_id)
        found = await run_in_threadpool(_look_up, ctx, project_id, user_id)
    except TenantError as exc:
        return refused(request, session, 404, str(exc))
    return page(request, "user.html", session, **context, **found)


def _look_up(ctx: IngressContext, project_id: str, user_id: str) -> dict[str, Any]:
    mapping = product_mapping(ctx.engine, project_id)  # refuses a project that does not exist
    view = user_view(ctx.engine, project_id, user_id)
    sources = {sub["id"]: sub for sub in view["subscriptions"]}
    sources.update({purchase["id"]: purchase for purchase in view["purchases"]})
    mapped = {(product, key) for product, key in mapping}
    grants = [
        {
            "key": key,
            **grant,
            "granted_by": sources.get(grant["source_id"]),
            "mapped": (grant["product_id"], key) in mapped,
        }
        for key, grant in view["entitlements"].items()
    ]
    return {"view": view, "grants": grants}
