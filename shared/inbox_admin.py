"""Operator actions on stored webhook events, shared by the CLI and the admin API.

Each function does the database half and returns the ids to enqueue; the caller enqueues them
after the commit (a lost enqueue is picked up by the relay a minute later).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.db.models import EventStatus
from shared.isotime import iso_utc

EVENT_COLUMNS = "id, type, status, attempts, error_message, received_at, processed_at"
RETRYABLE = (EventStatus.FAILED.value, EventStatus.RECEIVED.value)


class EventNotFound(LookupError):
    pass


class EventNotRetryable(ValueError):
    pass


def event_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "type": row["type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "error_message": row["error_message"],
        "received_at": iso_utc(row["received_at"]),
        "processed_at": iso_utc(row["processed_at"]),
    }


async def get_event(conn: asyncpg.Pool | asyncpg.Connection, event_id: str) -> asyncpg.Record:
    row = await conn.fetchrow(f"SELECT {EVENT_COLUMNS} FROM webhook_events WHERE id = $1", event_id)
    if row is None:
        raise EventNotFound(event_id)
    return row


async def list_events(
    conn: asyncpg.Pool | asyncpg.Connection, status: str | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {EVENT_COLUMNS} FROM webhook_events
            WHERE $1::text IS NULL OR status = $1
            ORDER BY received_at DESC, id LIMIT $2""",
        status,
        limit,
    )


async def mark_for_retry(conn: asyncpg.Pool | asyncpg.Connection, event_id: str) -> str:
    """Put a failed (or stuck) event back to `received`; its attempts and last error stay."""
    row = await conn.fetchrow(
        """UPDATE webhook_events
           SET status = 'received', enqueued_at = now(), enqueue_count = enqueue_count + 1
           WHERE id = $1 AND status = ANY($2::text[])
           RETURNING id""",
        event_id,
        list(RETRYABLE),
    )
    if row is None:
        current = await get_event(conn, event_id)
        raise EventNotRetryable(
            f"event {event_id} is {current['status']}; only failed or received events are retried"
        )
    return row["id"]


async def mark_all_failed_for_retry(conn: asyncpg.Pool | asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """UPDATE webhook_events
           SET status = 'received', enqueued_at = now(), enqueue_count = enqueue_count + 1
           WHERE status = 'failed' RETURNING id"""
    )
    return [row["id"] for row in rows]


async def prune_events(conn: asyncpg.Pool | asyncpg.Connection, older_than_days: int) -> int:
    """Delete handled events past the age; failed and not-yet-handled events are never removed."""
    result = await conn.execute(
        """DELETE FROM webhook_events
           WHERE status IN ('processed', 'skipped')
             AND received_at < now() - make_interval(days => $1)""",
        older_than_days,
    )
    return int(result.split()[-1])
