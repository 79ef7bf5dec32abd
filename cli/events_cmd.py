"""`billing events list|show|stats|retry|prune`: the operator's view of the inbox."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from redis.exceptions import RedisError

from cli.context import parts
from cli.failures import redact
from cli.options import AsJson, sub_app
from cli.output import print_json, print_table
from cli.progress import ProgressView
from shared.db.webhook_events import event_json
from shared.isotime import iso_utc
from shared.operations import events
from shared.queue import queue_depths
from shared.statuses import EventStatus
from shared.tenants import TenantError

EventId = Annotated[str, typer.Argument(help="The Stripe event's id, evt_….", show_default=False)]


def register(app: typer.Typer) -> None:
    group = sub_app("events", "List, show, retry and prune stored webhook events.")
    group.command("list", help="List stored events, newest first.")(events_list)
    group.command("show", help="Show one event: its payload, attempts and full error.")(events_show)
    group.command(
        "stats", help="Count events by status over the last hours; show the backlog and queues."
    )(events_stats)
    group.command("retry", help="Queue a failed event again, or every failed event.")(events_retry)
    group.command(
        "prune", help="Delete processed and skipped events older than N days (never failed ones)."
    )(events_prune)
    app.add_typer(group)


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise typer.BadParameter(
            f"expected a date (YYYY-MM-DD) or an ISO 8601 time, got {raw!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def events_list(
    status: Annotated[
        EventStatus | None, typer.Option(help="Show only events in this status.")
    ] = None,
    event_type: Annotated[
        str | None, typer.Option("--type", help="Show only this event type, e.g. charge.refunded.")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            parser=_moment,
            metavar="DATE",
            help="Show only events received since DATE (YYYY-MM-DD or ISO 8601, UTC).",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most N events.")] = 50,
    as_json: AsJson = False,
) -> int:
    rows = events.list_events(parts().engine, status, limit, event_type, since)
    if as_json:
        listed = [event_json(row) for row in rows]
        print_json({"events": listed, "count": len(listed)})
        return 0
    print_table(
        ["ID", "TYPE", "STATUS", "TRIES", "RECEIVED", "ERROR (events show ID: all of it)"],
        [
            [row.id, row.type, row.status, row.attempts, f"{row.received_at:%Y-%m-%d %H:%M:%S}",
             (row.error_message or "").splitlines()[0][:60] if row.error_message else ""]
            for row in rows
        ],
        right=["TRIES"],
    )  # fmt: skip
    return 0


def events_show(event_id: EventId, as_json: AsJson = False) -> int:
    try:
        row = events.get_event_with_payload(parts().engine, event_id)
    except events.EventNotFound:
        raise TenantError(f"no event {event_id!r}") from None
    shown = {
        **event_json(row),
        "api_version": row.api_version,
        "created": row.created,
        "livemode": row.livemode,
        "payload": row.payload,
    }
    if as_json:
        print_json(shown)
        return 0
    for key in ("id", "type", "status", "attempts", "received_at", "processed_at",
                "api_version", "created", "livemode"):  # fmt: skip
        print(f"{key + ':':<14}{shown[key]}")
    print(f"{'error:':<14}{row.error_message or '-'}")
    print("payload:")
    print(json.dumps(row.payload, indent=2, sort_keys=True))
    return 0


def events_stats(
    hours: Annotated[int, typer.Option(min=1, help="Count the events of the last N hours.")] = 24,
    as_json: AsJson = False,
) -> int:
    """What the dashboard's overview shows of the inbox, from the same functions."""
    now = datetime.now(UTC)
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    by_hour = events.counts_by_hour(parts().engine, since)
    backlog = events.backlog(parts().engine)
    try:
        queues: dict[str, int] | None = queue_depths(parts().broker)
    except (RedisError, OSError):
        queues = None
    oldest = backlog.oldest_received_at
    report = {
        "since": iso_utc(since),
        "totals": {s.value: sum(r.n for r in by_hour if r.status == s) for s in EventStatus},
        "by_hour": [
            {"hour": iso_utc(row.hour), "status": row.status, "count": row.n} for row in by_hour
        ],
        "waiting": backlog.waiting,
        "oldest_waiting_received_at": iso_utc(oldest),
        "lag_seconds": int((now - oldest).total_seconds()) if oldest else None,
        "queues": queues,
    }
    if as_json:
        print_json(report)
        return 0
    print(f"events received since {report['since']}:")
    for status, count in report["totals"].items():
        print(f"  {status:<10} {count:>8}")
    lag = "none waiting" if oldest is None else f"oldest waiting {report['lag_seconds']} s"
    print(f"waiting for a worker: {backlog.waiting} ({lag})")
    shown = ", ".join(f"{name} {n}" for name, n in queues.items()) if queues else "unavailable"
    print(f"queue messages: {shown}")
    return 0


def events_retry(
    event_id: Annotated[
        str | None, typer.Option("--id", help="Retry this one event, evt_….", show_default=False)
    ] = None,
    failed: Annotated[bool, typer.Option("--failed", help="Retry every failed event.")] = False,
) -> int:
    if (event_id is None) == (not failed):
        raise typer.BadParameter("give either --id evt_… or --failed", param_hint="--id/--failed")
    try:
        if failed:
            requeued = events.retry_all_failed(parts().engine, parts().enqueue_event)
        else:
            assert event_id is not None
            requeued = events.retry_event(parts().engine, parts().enqueue_event, event_id)
    except events.EventNotFound:
        raise TenantError(f"no event {event_id!r}") from None
    except events.EventNotRetryable as exc:
        raise TenantError(str(exc)) from None
    count = len(requeued.event_ids)
    if requeued.queue_error is not None:
        line = (
            f"billing: marked {count} event(s) for retry, but the queue is unavailable "
            f"({requeued.queue_error}); the scheduler's relay will enqueue them within minutes "
            "of Redis coming back"
        )
        print(redact(" ".join(line.split())), file=sys.stderr)
        return 1
    print(f"requeued {count} event(s)")
    return 0


def events_prune(
    older_than_days: Annotated[
        int, typer.Option(min=1, help="Delete only events older than N days.", show_default=False)
    ],
) -> int:
    with ProgressView(as_json=False, plain_lines=False) as view:
        view.show(f"deleting processed and skipped events older than {older_than_days} days")
        deleted = events.prune_events(parts().engine, older_than_days)
    print(f"deleted {deleted} processed or skipped event(s) older than {older_than_days} days")
    return 0
