"""The relay: re-enqueue events left `received`, with a backoff per event.

It rescues events whose enqueue failed (Redis down) and messages lost with a killed worker,
without flooding the queue with copies of events merely waiting behind a backlog: an event is
sent again only after `base * 2**(n-1)` seconds (capped at an hour) since its n-th enqueue.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Engine

from shared.db import webhook_events

log = structlog.get_logger("workers.relay")

MAX_BACKOFF_S = 3600
BATCH = 500


def relay_stranded_events(engine: Engine, enqueue: Callable[[str], None], base_s: int) -> int:
    """Enqueue stranded events; a failed enqueue rolls the stamps back for the next pass."""
    with engine.begin() as tx:
        ids = webhook_events.select_stranded(tx, base_s, MAX_BACKOFF_S, BATCH)
        if not ids:
            return 0
        for event_id in ids:
            enqueue(event_id)
        webhook_events.stamp_enqueued(tx, ids)
    log.info("relay.requeued", count=len(ids), event_ids=ids[:20])
    return len(ids)
