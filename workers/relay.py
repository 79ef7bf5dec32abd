"""The relay: re-enqueue events left `received`, with a backoff per event.

It rescues events whose enqueue failed (Redis down) and messages lost with a killed worker,
without flooding the queue with copies of events merely waiting behind a backlog: an event is
sent again only after `base * 2**(n-1)` seconds (capped at an hour) since its n-th enqueue.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Engine, text

log = structlog.get_logger("workers.relay")

MAX_BACKOFF_S = 3600
BATCH = 500

STRANDED = text(
    """
    SELECT id FROM webhook_events
    WHERE status = 'received'
      AND coalesce(enqueued_at, received_at) < now() - make_interval(
            secs => least(:base_s * power(2, greatest(enqueue_count - 1, 0)), :max_s))
    ORDER BY coalesce(enqueued_at, received_at)
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
    """
)
STAMP = text(
    """UPDATE webhook_events SET enqueued_at = now(), enqueue_count = enqueue_count + 1
       WHERE id = ANY(:ids)"""
)


def relay_stranded_events(engine: Engine, enqueue: Callable[[str], None], base_s: int) -> int:
    """Enqueue stranded events; a failed enqueue rolls the stamps back for the next pass."""
    with engine.begin() as tx:
        ids = list(
            tx.execute(
                STRANDED, {"base_s": base_s, "max_s": MAX_BACKOFF_S, "batch": BATCH}
            ).scalars()
        )
        if not ids:
            return 0
        for event_id in ids:
            enqueue(event_id)
        tx.execute(STAMP, {"ids": ids})
    log.info("relay.requeued", count=len(ids), event_ids=ids[:20])
    return len(ids)
