"""Admin API for adopting a live Stripe account (CONTRACT section 8): imports, one-customer
resync, and the support desk's look-ups of a user and of a customer."""

from __future__ import annotations

import json

import structlog
from dramatiq.results.errors import ResultFailure, ResultTimeout
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_admin
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.db.imports import import_json, load_import
from shared.operations import lookups
from shared.operations.customer_links import LinkRefused, validate_customer_id
from shared.operations.imports import ImportNotStarted, request_import
from shared.queue import RESYNC_ACTOR, call_maintenance
from shared.stripe_api import NO_STRIPE_KEY
from shared.tenants import TenantError, validate_project_id

log = structlog.get_logger("ingress.admin")


async def start_import(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    resume = await _resume_id(request)
    if isinstance(resume, Response):
        return resume
    if ctx.settings.stripe_secret_key is None:
        return json_error(503, f"refused: {NO_STRIPE_KEY}")
    try:
        import_id = await run_in_threadpool(
            request_import, ctx.engine, ctx.enqueue_import, "admin", resume
        )
    except ImportNotStarted as exc:
        return json_error(exc.status, str(exc))
    log.info("import.requested", import_id=import_id, resume=resume is not None)
    return JSONResponse({"import_id": import_id}, status_code=202)


async def get_import(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    row = await run_in_threadpool(load_import, ctx.engine, request.path_params["import_id"])
    if row is None:
        return json_error(404, "no such import")
    return JSONResponse(import_json(row))


async def resync_customer(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    customer_id = request.path_params["customer_id"]
    try:
        validate_customer_id(customer_id)
    except LinkRefused as exc:
        return json_error(400, str(exc))
    if ctx.settings.stripe_secret_key is None:
        return json_error(503, f"refused: {NO_STRIPE_KEY}")
    wait_s = ctx.settings.resync_wait_s
    try:
        result = await run_in_threadpool(
            call_maintenance, ctx.broker, RESYNC_ACTOR, wait_s, customer_id=customer_id
        )
    except ResultTimeout:  # queued all the same: a worker carries it out when it can
        return JSONResponse(
            {
                "customer_id": customer_id,
                "queued": True,
                "message": f"no worker finished the resync within {wait_s} s; it runs when one can",
            },
            status_code=202,
        )
    except ResultFailure as exc:
        if "No such customer" in str(exc):
            return json_error(404, f"Stripe knows no customer {customer_id}")
        return json_error(502, f"resync failed: {exc}")
    return JSONResponse(result)


async def get_user(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    project_id, user_id = request.path_params["project_id"], request.path_params["user_id"]
    try:
        validate_project_id(project_id)
    except TenantError as exc:
        return json_error(400, str(exc))
    view = await run_in_threadpool(lookups.user_view, ctx.engine, project_id, user_id)
    return JSONResponse(view)


async def get_customer(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    customer_id = request.path_params["customer_id"]
    try:
        validate_customer_id(customer_id)
    except LinkRefused as exc:
        return json_error(400, str(exc))
    view = await run_in_threadpool(lookups.customer_view, ctx.engine, customer_id)
    if view is None:
        return json_error(404, "no such customer")
    return JSONResponse(view)


async def _resume_id(request: Request) -> str | None | Response:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return json_error(400, 'body must be JSON: {"resume": "imp_…"} or empty')
    if not isinstance(body, dict):
        return json_error(400, "body must be a JSON object")
    resume = body.get("resume")
    if resume is not None and (not isinstance(resume, str) or not resume.startswith("imp_")):
        return json_error(400, "resume must be an import id, imp_…")
    return resume
