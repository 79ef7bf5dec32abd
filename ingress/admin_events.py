"""Admin API over the inbox: look at events, retry one, retry every failed one."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_admin
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.db.webhook_events import event_json
from shared.operations import events
from shared.statuses import EventStatus

MAX_LIST_LIMIT = 1000


async def get_webhook_event(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    try:
        row = await run_in_threadpool(events.get_event, ctx.engine, request.path_params["event_id"])
    except events.EventNotFound:
        return json_error(404, "no such event")
    return JSONResponse(event_json(row))


async def list_webhook_events(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    raw_status = request.query_params.get("status") or None
    if raw_status is not None and raw_status not in set(EventStatus):
        return json_error(400, f"status must be one of {', '.join(EventStatus)}")
    raw_limit = request.query_params.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIST_LIMIT:
        return json_error(400, f"limit must be an integer from 1 to {MAX_LIST_LIMIT}")
    status = EventStatus(raw_status) if raw_status else None
    rows = await run_in_threadpool(events.list_events, ctx.engine, status, int(raw_limit))
    return JSONResponse({"events": [event_json(row) for row in rows], "count": len(rows)})


async def retry_webhook_event(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    event_id = request.path_params["event_id"]
    try:
        await run_in_threadpool(events.retry_event, ctx.engine, ctx.enqueue_event, event_id)
    except events.EventNotFound:
        return json_error(404, "no such event")
    except events.EventNotRetryable as exc:
        return json_error(409, str(exc))
    return JSONResponse({"event_id": event_id, "requeued": True}, status_code=202)


async def retry_failed_webhook_events(request: Request) -> Response:
    if denied := authorize_admin(request):
        return denied
    ctx: IngressContext = request.app.state.ctx
    requeued = await run_in_threadpool(events.retry_all_failed, ctx.engine, ctx.enqueue_event)
    return JSONResponse({"requeued": len(requeued.event_ids)}, status_code=202)
