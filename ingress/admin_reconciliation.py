"""Admin API for reconciliation: queue a run, report on it."""

from __future__ import annotations

import json

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_admin
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.db.reconciliation_runs import load_run, run_json
from shared.operations.reconciliation import RunNotQueued, request_run
from shared.settings import MAX_DAYS_BACK
from shared.stripe_api import NO_STRIPE_KEY

log = structlog.get_logger("ingress.admin")


async def start_reconciliation(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    days_back = await _days_back(request, ctx.settings.reconciliation_days_back)
    if isinstance(days_back, Response):
        return days_back
    if ctx.settings.stripe_secret_key is None:
        return json_error(503, f"refused: {NO_STRIPE_KEY}")
    try:
        run_id = await run_in_threadpool(
            request_run, ctx.engine, ctx.send_reconciliation, "admin", days_back
        )
    except RunNotQueued:
        return json_error(503, "queue unavailable; the run was not started")
    assert run_id is not None  # only a daily run (scheduled_for) can find its row claimed
    log.info("reconciliation.requested", run_id=run_id, days_back=days_back)
    return JSONResponse({"run_id": run_id}, status_code=202)


async def get_reconciliation(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    row = await run_in_threadpool(load_run, ctx.engine, request.path_params["run_id"])
    if row is None:
        return json_error(404, "no such reconciliation run")
    return JSONResponse(run_json(row))


async def _days_back(request: Request, default: int) -> int | Response:
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        body = json.loads(raw)
    except ValueError:
        return json_error(400, 'body must be JSON: {"days_back": n}')
    if not isinstance(body, dict):
        return json_error(400, "body must be a JSON object")
    days_back = body.get("days_back", default)
    if (
        not isinstance(days_back, int)
        or isinstance(days_back, bool)
        or not 1 <= days_back <= MAX_DAYS_BACK
    ):
        return json_error(400, f"days_back must be an integer from 1 to {MAX_DAYS_BACK}")
    return days_back
