"""Admin API for outgoing webhooks (CONTRACT section 9)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_admin
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.operations import endpoints
from shared.outgoing.endpoints import EndpointRefused
from shared.statuses import DeliveryStatus
from shared.tenants import TenantError

MAX_LIST_LIMIT = 1000


async def add_endpoint(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    try:
        body = json.loads(await request.body())
    except ValueError:
        return json_error(400, 'body must be JSON: {"url": "https://…"}')
    url = body.get("url") if isinstance(body, dict) else None
    allow_http = ctx.settings.webhook_endpoints_allow_http
    project_id = request.path_params["project_id"]
    try:
        made = await run_in_threadpool(endpoints.add, ctx.engine, project_id, url, allow_http)
    except EndpointRefused as exc:
        return json_error(exc.status, str(exc))
    except TenantError as exc:
        return json_error(404 if "no project" in str(exc) else 400, str(exc))
    return JSONResponse(made.as_json(with_secret=True), status_code=201)


async def list_endpoints(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    found = await run_in_threadpool(
        endpoints.of_project, ctx.engine, request.path_params["project_id"]
    )
    return JSONResponse({"endpoints": [e.as_json() for e in found]})


async def remove_endpoint(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    try:
        await run_in_threadpool(endpoints.remove, ctx.engine, request.path_params["endpoint_id"])
    except EndpointRefused as exc:
        return json_error(exc.status, str(exc))
    return Response(status_code=204)


async def list_deliveries(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    raw_status = request.query_params.get("status") or None
    if raw_status is not None and raw_status not in set(DeliveryStatus):
        return json_error(400, f"status must be one of {', '.join(DeliveryStatus)}")
    raw_limit = request.query_params.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIST_LIMIT:
        return json_error(400, f"limit must be an integer from 1 to {MAX_LIST_LIMIT}")
    status = DeliveryStatus(raw_status) if raw_status else None
    try:
        found = await run_in_threadpool(
            endpoints.deliveries,
            ctx.engine,
            request.path_params["endpoint_id"],
            status,
            int(raw_limit),
        )
    except EndpointRefused as exc:
        return json_error(exc.status, str(exc))
    return JSONResponse({"deliveries": found})


async def resend_delivery(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    delivery_id = request.path_params["delivery_id"]
    try:
        await run_in_threadpool(endpoints.resend, ctx.engine, ctx.send_deliveries, delivery_id)
    except EndpointRefused as exc:
        return json_error(exc.status, str(exc))
    return JSONResponse({"delivery_id": delivery_id, "resent": True}, status_code=202)
