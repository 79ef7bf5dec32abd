"""The overview: events of the last 24 hours, the backlog and the queues, failed events,
reconciliation runs, and each project's subscriptions, MRR and revenue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ingress.context import IngressContext
from ingress.dashboard import charts
from ingress.dashboard.guard import signed_in
from ingress.dashboard.render import page
from ingress.dashboard.session import Session
from shared.db.reconciliation_runs import newest_runs, run_json
from shared.metrics.report import Window
from shared.operations import apps, events
from shared.operations.metrics import project_metrics, project_subscriptions
from shared.queue import queue_depths
from shared.settings import MAX_DAYS_BACK
from shared.statuses import EventStatus

HOURS = 24
CHART_DAYS = 30
FAILED_SHOWN = 20
RUNS_SHOWN = 10
PROJECTS_SHOWN = 20
# Bottom up in the stacked bars: what went well first, what needs looking at on top.
STATUS_ORDER = [
    EventStatus.PROCESSED.value,
    EventStatus.SKIPPED.value,
    EventStatus.RECEIVED.value,
    EventStatus.FAILED.value,
]


@signed_in
async def overview(request: Request, session: Session) -> Response:
    ctx: IngressContext = request.app.state.ctx
    context = await run_in_threadpool(overview_context, ctx, datetime.now(UTC))
    return page(request, "overview.html", session, notice=_notice(request), **context)


def _notice(request: Request) -> str | None:
    """What the last action did (fixed texts: nothing from the query string is echoed)."""
    retried = request.query_params.get("retried", "")
    if retried.isdigit():
        return f"{int(retried)} failed event(s) queued for a retry."
    if request.query_params.get("done") == "reconciliation":
        return "Reconciliation run queued: its row below says when it has finished."
    return None


def overview_context(ctx: IngressContext, now: datetime) -> dict[str, Any]:
    return {
        **_events_by_hour(ctx, now),
        **_backlog(ctx, now),
        "failed": events.list_events(ctx.engine, EventStatus.FAILED, FAILED_SHOWN),
        "runs": [run_json(row) for row in newest_runs(ctx.engine, RUNS_SHOWN)],
        "projects": _projects(ctx, now),
        "stripe_configured": ctx.settings.stripe_secret_key is not None,
        "days_back": ctx.settings.reconciliation_days_back,
        "max_days_back": MAX_DAYS_BACK,
    }


def _events_by_hour(ctx: IngressContext, now: datetime) -> dict[str, Any]:
    first_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    hours = [first_hour + timedelta(hours=n) for n in range(HOURS)]
    counts: dict[datetime, dict[str, int]] = {hour: {} for hour in hours}
    for row in events.counts_by_hour(ctx.engine, first_hour):
        counts.setdefault(row.hour.astimezone(UTC), {})[row.status] = row.n
    columns = [(f"{hour:%H}:00", counts[hour]) for hour in hours]
    totals = {s: sum(values.get(s, 0) for _, values in columns) for s in STATUS_ORDER}
    return {
        "hourly": columns,
        "hourly_chart": charts.stacked_bars(columns, STATUS_ORDER),
        "statuses": STATUS_ORDER,
        "status_totals": totals,
    }


def _backlog(ctx: IngressContext, now: datetime) -> dict[str, Any]:
    row = events.backlog(ctx.engine)
    oldest = row.oldest_received_at
    try:
        depths: dict[str, int] | None = queue_depths(ctx.broker)  # type: ignore[arg-type]
    except (RedisError, OSError):
        depths = None  # shown as "Redis unavailable"
    return {
        "waiting": row.waiting,
        "lag_s": int((now - oldest).total_seconds()) if oldest is not None else None,
        "queue_depths": depths,
    }


def _projects(ctx: IngressContext, now: datetime) -> list[dict[str, Any]]:
    today = now.date()
    window = Window(today - timedelta(CHART_DAYS - 1), today)
    shown = []
    for project in apps.projects(ctx.engine)[:PROJECTS_SHOWN]:
        with ctx.engine.connect() as conn:
            report = project_metrics(conn, project.id, window, by_day=True)
            subscriptions = project_subscriptions(conn, project.id)
        by_day = report["by_day"]
        shown.append(
            {
                "id": project.id,
                "name": project.name,
                "subscriptions": subscriptions,
                "mrr": report["mrr"]["currencies"],
                "revenue": report["revenue"],
                "mrr_charts": {cur: _mrr_line(days) for cur, days in by_day["mrr"].items()},
                "revenue_charts": {
                    cur: _revenue_bars(days) for cur, days in by_day["revenue"].items()
                },
                "by_day": by_day,
            }
        )
    return shown


def _mrr_line(days: list[list[Any]]) -> charts.Line:
    return charts.line([(day[5:], n) for day, n in days])


def _revenue_bars(days: list[list[Any]]) -> charts.StackedBars:
    """One bar a day, labelled MM-DD."""
    return charts.stacked_bars([(day[5:], {"gross": n}) for day, n in days], ["gross"])
