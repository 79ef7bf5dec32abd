"""`billing events list|retry|prune`: the operator's view of the inbox."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.context import parts
from shared.operations import events
from shared.statuses import EventStatus
from shared.tenants import TenantError


def register(commands: Any) -> None:
    group = commands.add_parser("events", help="list, retry and prune stored webhook events")
    sub = group.add_subparsers(dest="action", required=True)
    p = sub.add_parser("list", help="newest first")
    p.add_argument("--status", choices=[s.value for s in EventStatus], help="only this status")
    p.add_argument("--limit", type=_positive, default=50, help="at most N events (default 50)")
    p.set_defaults(run=events_list)
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


def events_list(args: argparse.Namespace) -> int:
    status = EventStatus(args.status) if args.status else None
    rows = events.list_events(parts().engine, status, args.limit)
    print(f"{'ID':<32} {'TYPE':<38} {'STATUS':<10} {'TRIES':>5}  RECEIVED              ERROR")
    for row in rows:
        error = (row.error_message or "")[:60]
        print(
            f"{row.id:<32} {row.type:<38} {row.status:<10} {row.attempts:>5}  "
            f"{row.received_at:%Y-%m-%d %H:%M:%S}   {error}"
        )
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
