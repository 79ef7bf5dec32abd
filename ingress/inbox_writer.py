"""The one durable write of the webhook path: insert the raw event unless its id is stored."""

from __future__ import annotations

import asyncpg

from ingress.envelope import EventEnvelope

# enqueued_at is stamped here: if the enqueue that follows fails, the relay finds the event
# a minute later without a second write on this path.
INSERT_EVENT = """
INSERT INTO webhook_events
    (id, type, api_version, created, livemode, payload, enqueued_at, enqueue_count)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, now(), 1)
ON CONFLICT (id) DO NOTHING
RETURNING true
"""


async def store_event(pool: asyncpg.Pool, envelope: EventEnvelope, body: str) -> bool:
    """True when the event is new, False for an id already stored."""
    inserted = await pool.fetchval(
        INSERT_EVENT,
        envelope.id,
        envelope.type,
        envelope.api_version,
        envelope.created,
        envelope.livemode,
        body,
    )
    return inserted is True
