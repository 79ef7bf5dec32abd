"""Starting a reconciliation run from the overview, as POST /api/v1/admin/reconciliation does."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingress.context import IngressContext
from ingress.dashboard.guard import action, refused
from ingress.dashboard.render import with_security_headers
from ingress.dashboard.session import Session
from shared.operations.reconciliation import RunNotQueued, request_run
from shared.settings import MAX_DAYS_BACK
from shared.stripe_api import NO_STRIPE_KEY


@action
async def start_run(request: Request, session: Session, fields: dict[str, str]) -> Response:
    ctx: IngressContext = request.app.state.ctx
    raw = fields.get("days_back", "").strip() or str(ctx.settings.reconciliation_days_back)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS_BACK:
        return refused(request, session, 400, f"days back must be from 1 to {MAX_DAYS_BACK}")
    if ctx.settings.stripe_secret_key is None:
        return refused(request, session, 503, f"Refused: {NO_STRIPE_KEY}")
    try:
        await run_in_threadpool(request_run, ctx.engine, ctx.send_reconciliation, "admin", int(raw))
    except RunNotQueued:
        return refused(request, session, 503, "The queue is unavailable; the run was not started.")
    return with_security_headers(RedirectResponse("/admin/?done=reconciliation", status_code=303))
