"""Group apply for the worker threads: the events whose messages arrive while one batch is being
applied are applied together by the next, in one transaction (workers/inbox.py), and each
message ends when the batch that holds it has committed. Under a backlog a batch holds about as
many events as the process has threads; alone, an event waits for nothing but itself.

Every message keeps its own fate: a batch that fails is applied again one event at a time, so
only the failing event raises (and Dramatiq retries that message alone), a busy user delays only
its own events, and a killed worker loses nothing (no message is acknowledged before its
commit).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from shared.statuses import EventStatus
from workers.inbox import Inbox

log = structlog.get_logger("workers.batching")
MAX_BATCH = 64


@dataclass(eq=False)  # compared by identity
class _Slot:
    """One message's event, waiting for its batch (or for its turn to lead the next one)."""

    event_id: str
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    finished: bool = False
    status: EventStatus | None = None
    error: BaseException | None = None

    def settle(self, outcome: EventStatus | None | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.status = outcome
        self.finished = True
        self.ready.set()

    def result(self) -> EventStatus | None:
        if self.error is not None:
            raise self.error
        return self.status


@dataclass
class EventBatcher:
    inbox: Inbox
    max_batch: int = MAX_BATCH
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: list[_Slot] = field(default_factory=list)
    _leading: bool = False

    def process(self, event_id: str) -> EventStatus | None:
        """What Inbox.process answers for this event, applied with the others pending."""
        slot = _Slot(event_id)
        with self._lock:
            self._pending.append(slot)
            if not self._leading:
                self._leading = slot.lead = True
        if not slot.lead:
            slot.ready.wait()
        if slot.lead:
            self._lead(slot)
        return slot.result()

    def _lead(self, own: _Slot) -> None:
        """Apply batches until the leader's own event is settled, then hand the lead to the
        oldest waiting message (or put it down)."""
        try:
            self._apply_until_settled(own)
        finally:
            with self._lock:
                if own in self._pending:  # raised before its batch: its message fails alone
                    self._pending.remove(own)
                if self._pending:
                    successor = self._pending[0]
                    successor.lead = True
                    successor.ready.set()
                else:
                    self._leading = False

    def _apply_until_settled(self, own: _Slot) -> None:
        while True:
            with self._lock:
                if own.finished:
                    return
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
            try:
                self._apply(batch)
            except BaseException as exc:  # a time limit or shutdown raised in this thread
                for slot in batch:
                    if not slot.finished:
                        slot.settle(exc)
                raise

    def _apply(self, batch: Sequence[_Slot]) -> None:
        if len(batch) > 1:
            try:
                statuses = self.inbox.process_batch([slot.event_id for slot in batch])
            except Exception as exc:
                log.info("events.batch_split", events=len(batch), error=f"{type(exc).__name__}")
            else:
                for slot in batch:
                    slot.settle(statuses[slot.event_id])
                return
        for slot in batch:  # alone: failures counted and raised per event
            try:
                slot.settle(self.inbox.process(slot.event_id))
            except Exception as exc:
                slot.settle(exc)
