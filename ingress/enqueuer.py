"""Queueing new events' ids without blocking the event loop: one thread per web process drains
a local queue into Dramatiq's broker, every id waiting at that moment in one message (under load,
about one group commit's worth). The webhook is answered once its event is stored; if Redis is
down the ids are dropped with a log line, and the relay queues them a little later (each was
stored with its enqueue stamp)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger("ingress.enqueuer")
STOP = ""


class BackgroundEnqueuer:
    def __init__(self, enqueue: Callable[[list[str]], None]) -> None:
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
        stopping = False
        while not stopping:
            ids = [self._ids.get()]
            while not self._ids.empty():  # enqueue_events splits them into messages
                ids.append(self._ids.get_nowait())
            stopping = STOP in ids
            ids = [event_id for event_id in ids if event_id != STOP]
            if not ids:
                continue
            try:
                self._enqueue(ids)
            except Exception as exc:  # Redis down: the relay queues them once Redis is back
                log.warning("webhook.enqueue_failed", event_ids=ids, error=str(exc))
