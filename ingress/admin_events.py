"""Admin API over the inbox: look at events, retry one, retry every failed one."""

from __future__ import annotations

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_admin
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.db.models import EventStatus
from shared.inbox_admin import (
    EventNotFound,
    EventNotRetryable,
    event_json,
    get_event,
    list_events,
    mark_all_failed_for_retry,
    mark_for_retry,
)
from shared.queue import enqueue_event

log = structlog.get_logger("ingress.admin")
MAX_LIST_LIMIT = 1000


async def get_webhook_event(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    try:
        row = await get_event(ctx.pool, request.path_params["event_id"])
    except EventNotFound:
        return json_error(404, "no such event")
    return JSONResponse(event_json(row))


async def list_webhook_events(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    status = request.query_params.get("status") or None
    if status is not None and status not in set(EventStatus):
        return json_error(400, f"status must be one of {', '.join(EventStatus)}")
    raw_limit = request.query_params.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIST_LIMIT:
        return json_error(400, f"limit must be an integer from 1 to {MAX_LIST_LIMIT}")
    rows = await list_events(ctx.pool, status, int(raw_limit))
    return JSONResponse({"events": [event_json(row) for row in rows], "count": len(rows)})


async def retry_webhook_event(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    event_id = request.path_params["event_id"]
    try:
        await mark_for_retry(ctx.pool, event_id)
    except EventNotFound:
        return json_error(404, "no such event")
    except EventNotRetryable as exc:
        return json_error(409, str(exc))
    await _enqueue_all(ctx, [event_id])
    return JSONResponse({"event_id": event_id, "requeued": True}, status_code=202)


async def retry_failed_webhook_events(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    event_ids = await mark_all_failed_for_retry(ctx.pool)
    await _enqueue_all(ctx, event_ids)
    return JSONResponse({"requeued": len(event_ids)}, status_code=202)


async def _enqueue_all(ctx: IngressContext, event_ids: list[str]) -> None:
    for event_id in event_ids:
        try:
            await run_in_threadpool(enqueue_event, ctx.broker, event_id)
        except Exception as exc:  # the relay sends it once Redis is back
            log.warning("admin.enqueue_failed", event_id=event_id, error=str(exc))
            return
        log.info("admin.event_requeued", event_id=event_id)
