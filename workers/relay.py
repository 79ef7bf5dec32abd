"""The relay: re-enqueue events left `received`, with a backoff per event.

It rescues events whose enqueue failed (Redis down) and messages lost with a killed worker,
without flooding the queue with copies of events merely waiting behind a backlog: an event is
sent again only after `base * 2**(n-1)` seconds (capped at an hour) since its n-th enqueue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine

from shared.db import webhook_events

log = structlog.get_logger("workers.relay")

MAX_BACKOFF_S = 3600
# The scheduler notices an outage at its next send: events may have failed to enqueue since.
OUTAGE_MARGIN_S = 15.0
BATCH = 500
# One pass goes on, batch after batch, until nothing is left: after an outage thousands of
# events wait, and the next pass is seconds away. The cap keeps one pass from running forever.
MAX_BATCHES_PER_PASS = 40


def relay_stranded_events(
    engine: Engine,
    enqueue: Callable[[str], None],
    base_s: int,
    outage_from: float = 0.0,
    outage_to: float = 0.0,
) -> int:
    """Enqueue stranded events, every batch of them; returns how many."""
    total = 0
    for _ in range(MAX_BATCHES_PER_PASS):
        sent = _relay_batch(engine, enqueue, base_s, outage_from, outage_to)
        total += sent
        if sent < BATCH:
            break
    return total


def _relay_batch(
    engine: Engine, enqueue: Callable[[str], None], base_s: int, outage_from: float,
    outage_to: float,
) -> int:  # fmt: skip
    """A failed enqueue rolls this batch's stamps back for the next pass."""
    with engine.begin() as tx:
        outage = (outage_from, outage_to)
        ids = webhook_events.select_stranded(tx, base_s, MAX_BACKOFF_S, BATCH, outage)
        if not ids:
            return 0
        for event_id in ids:
            enqueue(event_id)
        webhook_events.stamp_enqueued(tx, ids)
    log.info("relay.requeued", count=len(ids), event_ids=ids[:20])
    return len(ids)


@dataclass
class RelaySender:
    """The scheduler's side: sends the relay message, and after Redis comes back asks it to
    relay at once whatever was enqueued while Redis was down (RELAY_AFTER_SECONDS would
    otherwise make those events wait a minute or more)."""

    send: Callable[..., None]  # enqueue_relay(broker, **outage)
    clock: Callable[[], float] = time.time
    down_since: float | None = None

    def __call__(self) -> None:
        outage = {}
        if self.down_since is not None:
            outage = {"outage_from": self.down_since - OUTAGE_MARGIN_S, "outage_to": self.clock()}
        try:
            self.send(**outage)
        except Exception:
            if self.down_since is None:
                self.down_since = self.clock()
                log.debug("relay.queue_down")  # store_unavailable says it, once
            raise
        if self.down_since is not None:
            log.debug("relay.queue_back", down_for_s=round(self.clock() - self.down_since, 1))
            self.down_since = None
