"""Projects: their apps (revoke), product mappings (add, remove), outgoing endpoints and their
failed deliveries (resend)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingress.context import IngressContext
from ingress.dashboard.guard import action, refused, signed_in
from ingress.dashboard.render import page, with_security_headers
from ingress.dashboard.session import Session
from shared.operations import apps, endpoints, products
from shared.outgoing.endpoints import EndpointRefused
from shared.statuses import DeliveryStatus
from shared.tenants import TenantError, validate_project_id

FAILED_DELIVERIES_SHOWN = 20
NOTICES = {
    "revoked": "App revoked: its key no longer works.",
    "mapped": "Mapping added; the project's users were recomputed.",
    "unmapped": "Mapping removed; the project's users were recomputed.",
    "resent": "Delivery queued to be sent again.",
}


@signed_in
async def project_list(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    projects = await run_in_threadpool(apps.projects, ctx.engine)
    return page(request, "projects.html", session, projects=projects)


@signed_in
async def project_detail(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    project_id = request.path_params["project_id"]
    try:
        validate_project_id(project_id)
        context = await run_in_threadpool(_project, ctx, project_id)
    except TenantError as exc:
        return refused(request, session, 404, str(exc))
    notice = NOTICES.get(request.query_params.get("done", ""))
    return page(request, "project.html", session, project_id=project_id, notice=notice, **context)


def _project(ctx: IngressContext, project_id: str) -> dict[str, Any]:
    mapping = products.product_mapping(ctx.engine, project_id)  # refuses an unknown project
    return {
        "apps": apps.apps_of(ctx.engine, project_id),
        "mapping": mapping,
        "endpoints": [
            (
                endpoint,
                endpoints.deliveries(
                    ctx.engine, endpoint.id, DeliveryStatus.FAILED, FAILED_DELIVERIES_SHOWN
                ),
            )
            for endpoint in endpoints.of_project(ctx.engine, project_id)
        ],
    }


def _back(project_id: str, done: str) -> Response:
    target = f"/admin/projects/{quote(project_id, safe='')}?done={done}"
    return with_security_headers(RedirectResponse(target, status_code=303))


@action
async def revoke_app(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    project_id, app_id = request.path_params["project_id"], request.path_params["app_id"]
    try:
        await run_in_threadpool(apps.revoke, ctx.engine, app_id)
    except TenantError as exc:
        return refused(request, session, 404, str(exc))
    return _back(project_id, "revoked")


@action
async def map_product(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    project_id = request.path_params["project_id"]
    product_id = fields.get("product_id", "").strip()
    key = fields.get("entitlement_key", "").strip()
    try:
        validate_project_id(project_id)
        products.validate_product_id(product_id)
        products.validate_entitlement_key(key)
        await run_in_threadpool(products.map_product, ctx.uow, project_id, product_id, key)
    except TenantError as exc:
        return refused(request, session, 400, str(exc))
    return _back(project_id, "mapped")


@action
async def unmap_product(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    project_id = request.path_params["project_id"]
    product_id = fields.get("product_id", "").strip()
    key = fields.get("entitlement_key", "").strip() or None
    try:
        validate_project_id(project_id)
        await run_in_threadpool(products.unmap_product, ctx.uow, project_id, product_id, key)
    except TenantError as exc:
        return refused(request, session, 400, str(exc))
    return _back(project_id, "unmapped")


@action
async def resend_delivery(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    delivery_id = request.path_params["delivery_id"]
    project_id = fields.get("project_id", "")
    try:
        validate_project_id(project_id)
        await run_in_threadpool(endpoints.resend, ctx.engine, ctx.send_deliveries, delivery_id)
    except (TenantError, EndpointRefused) as exc:
        return refused(request, session, getattr(exc, "status", 400), str(exc))
    return _back(project_id, "resent")
