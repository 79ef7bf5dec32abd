"""Events: the list (by status and type), one event with its payload, and retries."""

from __future__ import annotations

import json
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingress.context import IngressContext
from ingress.dashboard.guard import action, refused, signed_in
from ingress.dashboard.render import page, with_security_headers
from ingress.dashboard.session import Session
from shared.operations import events
from shared.statuses import EventStatus

LIST_LIMIT = 100
MAX_TYPE_CHARS = 255


@signed_in
async def event_list(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    raw_status = request.query_params.get("status") or None
    event_type = (request.query_params.get("type") or "").strip() or None
    if raw_status is not None and raw_status not in set(EventStatus):
        return refused(request, session, 400, f"status must be one of {', '.join(EventStatus)}")
    if event_type is not None and (len(event_type) > MAX_TYPE_CHARS or "\x00" in event_type):
        return refused(request, session, 400, f"type must be at most {MAX_TYPE_CHARS} characters")
    status = EventStatus(raw_status) if raw_status else None
    rows = await run_in_threadpool(events.list_events, ctx.engine, status, LIST_LIMIT, event_type)
    return page(
        request,
        "events.html",
        session,
        events=rows,
        statuses=list(EventStatus),
        status=raw_status or "",
        event_type=event_type or "",
        limit=LIST_LIMIT,
    )


@signed_in
async def event_detail(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    event_id = request.path_params["event_id"]
    try:
        row = await run_in_threadpool(events.get_event_with_payload, ctx.engine, event_id)
    except events.EventNotFound:
        return refused(request, session, 404, f"No event {event_id!r} is stored.")
    payload = row.payload if not isinstance(row.payload, str) else json.loads(row.payload)
    return page(
        request,
        "event.html",
        session,
        event=row,
        payload=json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False),
        retryable=row.status in (EventStatus.FAILED, EventStatus.RECEIVED),
        done=request.query_params.get("done") == "retried",
    )


@action
async def retry_event(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    event_id = request.path_params["event_id"]
    try:
        await run_in_threadpool(events.retry_event, ctx.engine, ctx.enqueue_event, event_id)
    except events.EventNotFound:
        return refused(request, session, 404, f"No event {event_id!r} is stored.")
    except events.EventNotRetryable as exc:
        return refused(request, session, 409, str(exc))
    target = f"/admin/events/{quote(event_id, safe='')}?done=retried"
    return with_security_headers(RedirectResponse(target, status_code=303))


@action
async def retry_failed(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    requeued = await run_in_threadpool(events.retry_all_failed, ctx.engine, ctx.enqueue_event)
    target = f"/admin/?retried={len(requeued.event_ids)}"
    return with_security_headers(RedirectResponse(target, status_code=303))
