"""The delivery relay: every due delivery offered to a worker again, so that retries happen on
their schedule and a delivery whose message was lost (a killed worker, Redis down at the commit)
is still sent. A delivery in flight is leased, so it is not due."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import Engine

from shared.outgoing import outbox

log = structlog.get_logger("workers.outgoing")
BATCH = 500


def relay_due_deliveries(engine: Engine, enqueue: Callable[[list[str]], None]) -> int:
    with engine.connect() as conn:
        due = outbox.due(conn, BATCH)
    if due:
        enqueue(due)
        log.info("outgoing.relayed", count=len(due))
    return len(due)
