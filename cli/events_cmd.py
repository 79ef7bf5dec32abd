"""`billing events list|show|stats|retry|prune`: the operator's view of the inbox."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError

from cli.context import parts
from shared.db.webhook_events import event_json
from shared.isotime import iso_utc
from shared.operations import events
from shared.queue import queue_depths
from shared.statuses import EventStatus
from shared.tenants import TenantError


def register(commands: Any) -> None:
    group = commands.add_parser("events", help="list, retry and prune stored webhook events")
    sub = group.add_subparsers(dest="action", required=True)
    p = sub.add_parser("list", help="newest first")
    p.add_argument("--status", choices=[s.value for s in EventStatus], help="only this status")
    p.add_argument("--type", dest="event_type", help="only this event type, e.g. charge.refunded")
    p.add_argument(
        "--since", type=_moment, help="only events received since D (YYYY-MM-DD or ISO 8601, UTC)"
    )
    p.add_argument("--limit", type=_positive, default=50, help="at most N events (default 50)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(run=events_list)
    p = sub.add_parser("show", help="one event: its payload, attempts and full error")
    p.add_argument("event_id", help="Stripe event id, evt_…")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(run=events_show)
    p = sub.add_parser(
        "stats", help="events by status over the last hours, the backlog and the queues"
    )
    p.add_argument("--hours", type=_positive, default=24, help="hours back (default 24)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(run=events_stats)
    p = sub.add_parser("retry", help="re-enqueue a failed event, or every failed event")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", dest="event_id", help="one event id, evt_…")
    which.add_argument("--failed", action="store_true", help="every event in status failed")
    p.set_defaults(run=events_retry)
    p = sub.add_parser("prune", help="delete processed/skipped events (never failed ones)")
    p.add_argument("--older-than-days", type=_positive, required=True, help="age in days")
    p.set_defaults(run=events_prune)


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return int(raw)


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date (YYYY-MM-DD) or an ISO 8601 time, got {raw!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def events_list(args: argparse.Namespace) -> int:
    status = EventStatus(args.status) if args.status else None
    rows = events.list_events(parts().engine, status, args.limit, args.event_type, args.since)
    if args.json:
        listed = [event_json(row) for row in rows]
        print(json.dumps({"events": listed, "count": len(listed)}, indent=2))
        return 0
    id_width = max([len("ID"), *(len(row.id) for row in rows)])
    type_width = max([len("TYPE"), *(len(row.type) for row in rows)])
    print(f"{'ID':<{id_width}}  {'TYPE':<{type_width}}  {'STATUS':<10} {'TRIES':>5}  "
          "RECEIVED             ERROR (events show ID: all of it)")  # fmt: skip
    for row in rows:
        error = (row.error_message or "").splitlines()[0][:60] if row.error_message else ""
        print(
            f"{row.id:<{id_width}}  {row.type:<{type_width}}  {row.status:<10} "
            f"{row.attempts:>5}  {row.received_at:%Y-%m-%d %H:%M:%S}  {error}"
        )
    return 0


def events_stats(args: argparse.Namespace) -> int:
    """What the dashboard's overview shows of the inbox, from the same functions."""
    now = datetime.now(UTC)
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=args.hours - 1)
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
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"events received since {report['since']}:")
    for status, count in report["totals"].items():
        print(f"  {status:<10} {count:>8}")
    lag = "none waiting" if oldest is None else f"oldest waiting {report['lag_seconds']} s"
    print(f"waiting for a worker: {backlog.waiting} ({lag})")
    shown = ", ".join(f"{name} {n}" for name, n in queues.items()) if queues else "unavailable"
    print(f"queue messages: {shown}")
    return 0


def events_show(args: argparse.Namespace) -> int:
    try:
        row = events.get_event_with_payload(parts().engine, args.event_id)
    except events.EventNotFound:
        raise TenantError(f"no event {args.event_id!r}") from None
    shown = {
        **event_json(row),
        "api_version": row.api_version,
        "created": row.created,
        "livemode": row.livemode,
        "payload": row.payload,
    }
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    for key in ("id", "type", "status", "attempts", "received_at", "processed_at",
                "api_version", "created", "livemode"):  # fmt: skip
        print(f"{key + ':':<14}{shown[key]}")
    print(f"{'error:':<14}{row.error_message or '-'}")
    print("payload:")
    print(json.dumps(row.payload, indent=2, sort_keys=True))
    return 0


def events_retry(args: argparse.Namespace) -> int:
    try:
        if args.failed:
            requeued = events.retry_all_failed(parts().engine, parts().enqueue_event)
        else:
            requeued = events.retry_event(parts().engine, parts().enqueue_event, args.event_id)
    except events.EventNotFound:
        raise TenantError(f"no event {args.event_id!r}") from None
    except events.EventNotRetryable as exc:
        raise TenantError(str(exc)) from None
    count = len(requeued.event_ids)
    if requeued.queue_error is not None:
        print(
            f"marked {count} event(s) for retry, but the queue is unavailable "
            f"({requeued.queue_error}); the scheduler's relay will enqueue them within minutes "
            "of Redis coming back",
            file=sys.stderr,
        )
        return 1
    print(f"requeued {count} event(s)")
    return 0


def events_prune(args: argparse.Namespace) -> int:
    deleted = events.prune_events(parts().engine, args.older_than_days)
    print(f"deleted {deleted} processed or skipped event(s) older than {args.older_than_days} days")
    return 0
