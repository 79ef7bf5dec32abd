"""Every statement on `webhook_events`, the inbox table: the ingress's insert, the workers'
claim and stamps, the relay's selection, the operators' listing and retries.

The insert is compiled for both drivers (asyncpg on the webhook path, SQLAlchemy when
reconciliation replays a missed event); everything else runs on SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypedDict

import asyncpg
from sqlalchemy import Connection, Row

from shared.db.direct import run
from shared.db.sql import Statement
from shared.isotime import iso_utc
from shared.statuses import EventStatus

MAX_ERROR_CHARS = 2000
# enqueued_at is stamped on insert: if the enqueue that follows fails, the relay finds the event
# a minute later without a second write on the webhook path.
INSERT_IF_NEW = Statement(
    """INSERT INTO webhook_events
           (id, type, api_version, created, livemode, payload, enqueued_at, enqueue_count)
       VALUES (:id, :type, :api_version, :created, :livemode, CAST(:payload AS jsonb), now(), 1)
       ON CONFLICT (id) DO NOTHING
       RETURNING true"""
)
# Many events in one statement (the ingress's group commit); ids already stored are skipped.
INSERT_MANY_IF_NEW = Statement(
    """INSERT INTO webhook_events
           (id, type, api_version, created, livemode, payload, enqueued_at, enqueue_count)
       SELECT id, type, api_version, created, livemode, CAST(payload AS jsonb), now(), 1
       FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[]), CAST(:api_versions AS text[]),
                   CAST(:createds AS bigint[]), CAST(:livemodes AS boolean[]),
                   CAST(:payloads AS text[]))
            AS e(id, type, api_version, created, livemode, payload)
       ON CONFLICT (id) DO NOTHING
       RETURNING id"""
)
# A batch's rows, locked in id order (so two batches sharing events never deadlock on them).
LOCK_FOR_PROCESSING = Statement(
    """SELECT id, type, status, livemode, payload, received_at FROM webhook_events
       WHERE id = ANY(CAST(:ids AS text[])) ORDER BY id FOR UPDATE"""
)
STAMP_HANDLED = Statement(
    """UPDATE webhook_events w SET
           status = s.status,
           attempts = w.attempts + 1,
           processed_at = CASE WHEN s.status = 'failed' THEN NULL ELSE now() END,
           error_message = coalesce(s.error, w.error_message)
       FROM unnest(CAST(:ids AS text[]), CAST(:statuses AS text[]), CAST(:errors AS text[]))
            AS s(id, status, error)
       WHERE w.id = s.id"""
)
# A failed try stays `received`; its enqueue stamp and count move on, so the relay's doubling
# wait stays longer than Dramatiq's own retry backoff and sends no second copy.
RECORD_FAILED_TRY = Statement(
    """UPDATE webhook_events SET
           attempts = attempts + 1, error_message = :error,
           enqueued_at = now(), enqueue_count = enqueue_count + 1
       WHERE id = :id AND status = 'received'"""
)
MARK_FAILED = Statement(
    """UPDATE webhook_events SET status = 'failed' WHERE id = :id AND status = 'received'
       RETURNING type, received_at"""
)
# The `billing_events{status}` gauge, counted at scrape time (on the (status, received_at) index).
COUNT_BY_STATUS = Statement("SELECT status, count(*) FROM webhook_events GROUP BY status")
# The relay: `received` events not enqueued for base * 2^(n-1) seconds (capped), and at once
# those last enqueued during a Redis outage (their message never reached it); oldest first.
SELECT_STRANDED = Statement(
    """SELECT id FROM webhook_events
       WHERE status = 'received'
         AND (coalesce(enqueued_at, received_at) < now() - make_interval(
                secs => least(:base_s * power(2, greatest(enqueue_count - 1, 0)), :max_s))
              OR coalesce(enqueued_at, received_at)
                 BETWEEN to_timestamp(:outage_from) AND to_timestamp(:outage_to))
       ORDER BY coalesce(enqueued_at, received_at)
       LIMIT :batch
       FOR UPDATE SKIP LOCKED"""
)
STAMP_ENQUEUED = Statement(
    """UPDATE webhook_events SET enqueued_at = now(), enqueue_count = enqueue_count + 1
       WHERE id = ANY(:ids)"""
)
ADMIN_COLUMNS = "id, type, status, attempts, error_message, received_at, processed_at"
GET_ONE = Statement(f"SELECT {ADMIN_COLUMNS} FROM webhook_events WHERE id = :id")
GET_WITH_PAYLOAD = Statement(
    f"SELECT {ADMIN_COLUMNS}, api_version, created, livemode, payload FROM webhook_events "
    "WHERE id = :id"
)
LIST_NEWEST = Statement(
    f"""SELECT {ADMIN_COLUMNS} FROM webhook_events
        WHERE (CAST(:status AS text) IS NULL OR status = :status)
          AND (CAST(:type AS text) IS NULL OR type = :type)
          AND (CAST(:since AS timestamptz) IS NULL OR received_at >= :since)
        ORDER BY received_at DESC, id LIMIT :limit"""
)
# Events received since :since, per UTC hour and status: one range of the (status,
# received_at) index per status.
COUNT_BY_HOUR = Statement(
    """SELECT date_trunc('hour', w.received_at) AS hour, s.status, count(*) AS n
       FROM unnest(CAST(:statuses AS text[])) AS s(status)
       JOIN webhook_events w ON w.status = s.status AND w.received_at >= :since
       GROUP BY 1, 2 ORDER BY 1, 2"""
)
# Waiting for a worker: how many `received` events, and since when the oldest.
BACKLOG = Statement(
    """SELECT count(*) AS waiting, min(received_at) AS oldest_received_at
       FROM webhook_events WHERE status = 'received'"""
)
# Retrying: back to `received`, attempts and last error kept; the caller enqueues after commit.
MARK_FOR_RETRY = Statement(
    """UPDATE webhook_events
       SET status = 'received', enqueued_at = now(), enqueue_count = enqueue_count + 1
       WHERE id = :id AND status IN ('failed', 'received')
       RETURNING id"""
)
MARK_ALL_FAILED_FOR_RETRY = Statement(
    """UPDATE webhook_events
       SET status = 'received', enqueued_at = now(), enqueue_count = enqueue_count + 1
       WHERE status = 'failed' RETURNING id"""
)
# Failed and not-yet-handled events are never removed.
PRUNE_HANDLED = Statement(
    """DELETE FROM webhook_events
       WHERE status IN ('processed', 'skipped')
         AND received_at < now() - make_interval(days => :days)"""
)


class EventRow(TypedDict):
    """The insert's parameters. `payload` is JSON text: the ingress stores Stripe's body as sent."""

    id: str
    type: str
    api_version: str | None
    created: int
    livemode: bool
    payload: str


def event_row(event: Mapping[str, Any]) -> EventRow:
    """The row of an event fetched from the Stripe API (reconciliation replays)."""
    api_version = event.get("api_version")
    return EventRow(
        id=event["id"],
        type=event["type"],
        api_version=api_version if isinstance(api_version, str) else None,
        created=int(event["created"]),
        livemode=event.get("livemode") is True,
        payload=json.dumps(event),
    )


async def insert_if_new_async(pool: asyncpg.Pool, row: EventRow) -> bool:
    """The webhook path. True when the event is new, False for an id already stored."""
    inserted = await pool.fetchval(INSERT_IF_NEW.asyncpg_sql, *INSERT_IF_NEW.asyncpg_args(row))
    return inserted is True


async def insert_many_if_new_async(pool: asyncpg.Pool, rows: Sequence[EventRow]) -> set[str]:
    """The ids of `rows` that were new; one round trip and one commit for them all. The rows'
    ids must be distinct."""
    params = {
        "ids": [row["id"] for row in rows],
        "types": [row["type"] for row in rows],
        "api_versions": [row["api_version"] for row in rows],
        "createds": [row["created"] for row in rows],
        "livemodes": [row["livemode"] for row in rows],
        "payloads": [row["payload"] for row in rows],
    }
    records = await pool.fetch(
        INSERT_MANY_IF_NEW.asyncpg_sql, *INSERT_MANY_IF_NEW.asyncpg_args(params)
    )
    return {record["id"] for record in records}


def insert_if_new(tx: Connection, row: EventRow) -> bool:
    return tx.execute(INSERT_IF_NEW.sync, dict(row)).scalar_one_or_none() is True


class Stamp(NamedTuple):
    """How one event's handling ended, written with its batch's."""

    event_id: str
    status: EventStatus
    error: str | None = None


class LockedEvent(NamedTuple):
    id: str
    type: str
    status: str
    livemode: bool
    payload: Any  # the event as Stripe sent it (a dict, unless somebody stored other JSON)
    received_at: datetime


def lock_for_processing(tx: Connection, event_ids: Sequence[str]) -> dict[str, LockedEvent]:
    """The events' type, status and payload by id, their rows locked until the transaction ends;
    ids not stored are absent."""
    rows = run(tx, LOCK_FOR_PROCESSING, {"ids": list(event_ids)})
    return {row.id: LockedEvent(*row) for row in rows}


def stamp_handled(tx: Connection, stamps: Sequence[Stamp]) -> None:
    if not stamps:
        return
    params = {
        "ids": [stamp.event_id for stamp in stamps],
        "statuses": [stamp.status.value for stamp in stamps],
        "errors": [_clip(stamp.error) for stamp in stamps],
    }
    run(tx, STAMP_HANDLED, params)


def record_failed_try(tx: Connection, event_id: str, error: str) -> None:
    tx.execute(RECORD_FAILED_TRY.sync, {"id": event_id, "error": _clip(error)})


def mark_failed(tx: Connection, event_id: str) -> Row[Any] | None:
    """The event's type and received_at once it is failed; None if it was not `received`."""
    return tx.execute(MARK_FAILED.sync, {"id": event_id}).first()


def select_stranded(
    tx: Connection,
    base_s: int,
    max_s: int,
    batch: int,
    outage: tuple[float, float] = (0.0, 0.0),
) -> list[str]:
    params = {
        "base_s": base_s,
        "max_s": max_s,
        "batch": batch,
        "outage_from": outage[0],
        "outage_to": outage[1],
    }
    return list(tx.execute(SELECT_STRANDED.sync, params).scalars())


def stamp_enqueued(tx: Connection, event_ids: Sequence[str]) -> None:
    tx.execute(STAMP_ENQUEUED.sync, {"ids": list(event_ids)})


def get_event(tx: Connection, event_id: str) -> Row[Any] | None:
    return tx.execute(GET_ONE.sync, {"id": event_id}).first()


def get_event_with_payload(tx: Connection, event_id: str) -> Row[Any] | None:
    return tx.execute(GET_WITH_PAYLOAD.sync, {"id": event_id}).first()


def list_events(
    tx: Connection,
    status: EventStatus | None,
    limit: int,
    event_type: str | None = None,
    since: datetime | None = None,
) -> list[Row[Any]]:
    params = {
        "status": status.value if status else None,
        "type": event_type,
        "since": since,
        "limit": limit,
    }
    return list(tx.execute(LIST_NEWEST.sync, params))


def count_by_hour(tx: Connection, since: datetime) -> list[Row[Any]]:
    params = {"statuses": [status.value for status in EventStatus], "since": since}
    return list(tx.execute(COUNT_BY_HOUR.sync, params))


def backlog(tx: Connection) -> Row[Any]:
    return tx.execute(BACKLOG.sync).one()


def mark_for_retry(tx: Connection, event_id: str) -> bool:
    return tx.execute(MARK_FOR_RETRY.sync, {"id": event_id}).first() is not None


def mark_all_failed_for_retry(tx: Connection) -> list[str]:
    return list(tx.execute(MARK_ALL_FAILED_FOR_RETRY.sync).scalars())


def prune_handled(tx: Connection, older_than_days: int) -> int:
    return tx.execute(PRUNE_HANDLED.sync, {"days": older_than_days}).rowcount


async def count_by_status_async(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch(COUNT_BY_STATUS.asyncpg_sql)
    return {row["status"]: row["count"] for row in rows}


def event_json(row: Row[Any]) -> dict[str, Any]:
    """An event as the admin API and `events list --json` show it (CONTRACT section 6)."""
    return {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "attempts": row.attempts,
        "error_message": row.error_message,
        "received_at": iso_utc(row.received_at),
        "processed_at": iso_utc(row.processed_at),
    }


def _clip(error: str | None) -> str | None:
    return error[:MAX_ERROR_CHARS] if error is not None else None
