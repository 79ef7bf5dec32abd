"""Operators' actions on stored webhook events, shared by the CLI and the admin API.

A retry puts the event back to `received` and commits, then enqueues it; when the queue is
down the event simply waits for the relay, which sends every `received` event once Redis is back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine, Row

from shared.db import webhook_events
from shared.statuses import EventStatus

log = structlog.get_logger("shared.operations.events")
Enqueue = Callable[[str], None]


class EventNotFound(LookupError):
    pass


class EventNotRetryable(ValueError):
    pass


@dataclass(frozen=True)
class Requeued:
    event_ids: list[str]
    queue_error: str | None  # set when the ids are marked but could not be enqueued now


def get_event(engine: Engine, event_id: str) -> Row[Any]:
    with engine.connect() as conn:
        row = webhook_events.get_event(conn, event_id)
    if row is None:
        raise EventNotFound(event_id)
    return row


def get_event_with_payload(engine: Engine, event_id: str) -> Row[Any]:
    """Everything stored about an event: the admin columns, its payload as Stripe sent it."""
    with engine.connect() as conn:
        row = webhook_events.get_event_with_payload(conn, event_id)
    if row is None:
        raise EventNotFound(event_id)
    return row


def list_events(
    engine: Engine,
    status: EventStatus | None,
    limit: int,
    event_type: str | None = None,
    since: datetime | None = None,
) -> list[Row[Any]]:
    with engine.connect() as conn:
        return webhook_events.list_events(conn, status, limit, event_type, since)


def counts_by_hour(engine: Engine, since: datetime) -> list[Row[Any]]:
    """(hour, status, n) of the events received since `since`, oldest hour first."""
    with engine.connect() as conn:
        return webhook_events.count_by_hour(conn, since)


def backlog(engine: Engine) -> Row[Any]:
    """(waiting, oldest_received_at) of the events no worker has finished yet."""
    with engine.connect() as conn:
        return webhook_events.backlog(conn)


def retry_event(engine: Engine, enqueue: Enqueue, event_id: str) -> Requeued:
    """Only `failed` (or stuck `received`) events; attempts and last error are kept."""
    with engine.begin() as tx:
        if not webhook_events.mark_for_retry(tx, event_id):
            current = webhook_events.get_event(tx, event_id)
            if current is None:
                raise EventNotFound(event_id)
            raise EventNotRetryable(
                f"event {event_id} is {current.status}; only failed or received events are retried"
            )
    return _enqueue_all(enqueue, [event_id])


def retry_all_failed(engine: Engine, enqueue: Enqueue) -> Requeued:
    with engine.begin() as tx:
        event_ids = webhook_events.mark_all_failed_for_retry(tx)
    return _enqueue_all(enqueue, event_ids)


def prune_events(engine: Engine, older_than_days: int) -> int:
    """Delete processed and skipped events past the age; failed ones are never removed."""
    with engine.begin() as tx:
        return webhook_events.prune_handled(tx, older_than_days)


def _enqueue_all(enqueue: Enqueue, event_ids: list[str]) -> Requeued:
    for event_id in event_ids:
        try:
            enqueue(event_id)
        except Exception as exc:  # marked `received`: the relay sends them once Redis is back
            log.warning("events.enqueue_failed", event_id=event_id, error=str(exc))
            return Requeued(event_ids, str(exc))
        log.info("events.requeued", event_id=event_id)
    return Requeued(event_ids, None)
