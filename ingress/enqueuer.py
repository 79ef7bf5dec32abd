"""Queueing new events' ids without blocking the event loop: one thread per web process drains
a local queue into Dramatiq's broker. The webhook is answered once its event is stored; if Redis
is down the ids are dropped with a log line, and the relay queues them a little later (each was
stored with its enqueue stamp)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("ingress.enqueuer")
STOP = ""


class BackgroundEnqueuer:
    def __init__(self, enqueue: Callable[[str], None]) -> None:
        self._enqueue = enqueue
        self._ids: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="enqueuer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Queue what is pending, then end (within `timeout_s`)."""
        self._ids.put(STOP)
        self._thread.join(timeout_s)

    def put(self, event_id: str) -> None:
        self._ids.put(event_id)

    def _drain(self) -> None:
        while (event_id := self._ids.get()) != STOP:
            try:
                self._enqueue(event_id)
            except Exception as exc:  # Redis down: the relay queues it once Redis is back
                log.warning("webhook.enqueue_failed", event_id=event_id, error=str(exc))
