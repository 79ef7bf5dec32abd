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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from shared.statuses import EventStatus
from workers.inbox import Inbox

log = structlog.get_logger("workers.batching")
MAX_BATCH = 100  # events in one transaction


Outcome = EventStatus | None | BaseException


@dataclass(eq=False)  # compared by identity
class _Slot:
    """One message's events, waiting for their batch (or for the turn to lead the next one)."""

    event_ids: list[str]
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    finished: bool = False
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def settle(self, outcomes: Mapping[str, Outcome]) -> None:
        self.outcomes = {event_id: outcomes[event_id] for event_id in self.event_ids}
        self.finished = True
        self.ready.set()


@dataclass
class EventBatcher:
    inbox: Inbox
    max_batch: int = MAX_BATCH
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: list[_Slot] = field(default_factory=list)
    _leading: bool = False

    def process(self, event_id: str) -> EventStatus | None:
        """What Inbox.process answers for this event (raising what it raises), applied with
        the events of the other messages pending."""
        outcome = self.process_many([event_id])[event_id]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def process_many(self, event_ids: Sequence[str]) -> dict[str, Outcome]:
        """Each event's status, or the exception its try ended in (counted as a failed try, or
        UserBusy), by id."""
        slot = _Slot(list(event_ids))
        with self._lock:
            self._pending.append(slot)
            if not self._leading:
                self._leading = slot.lead = True
        if not slot.lead:
            slot.ready.wait()
        if slot.lead:
            self._lead(slot)
        return slot.outcomes

    def _lead(self, own: _Slot) -> None:
        """Apply batches until the leader's own events are settled, then hand the lead to the
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
                batch = self._take_batch()
            try:
                self._apply(batch)
            except BaseException as exc:  # a time limit or shutdown raised in this thread
                for slot in batch:
                    if not slot.finished:
                        slot.settle(dict.fromkeys(slot.event_ids, exc))
                raise

    def _take_batch(self) -> list[_Slot]:
        """The oldest pending messages, as many as fit in max_batch events (one at least)."""
        batch = [self._pending.pop(0)]
        size = len(batch[0].event_ids)
        while self._pending and size + len(self._pending[0].event_ids) <= self.max_batch:
            size += len(self._pending[0].event_ids)
            batch.append(self._pending.pop(0))
        return batch

    def _apply(self, batch: Sequence[_Slot]) -> None:
        ids = list(dict.fromkeys(event_id for slot in batch for event_id in slot.event_ids))
        outcomes: dict[str, Outcome] = {}
        if len(ids) > 1:
            try:
                outcomes.update(self.inbox.process_batch(ids))
            except Exception as exc:
                log.info("events.batch_split", events=len(ids), error=f"{type(exc).__name__}")
        if not outcomes:
            for event_id in ids:  # alone: failures counted and raised per event
                try:
                    outcomes[event_id] = self.inbox.process(event_id)
                except Exception as exc:
                    outcomes[event_id] = exc
        for slot in batch:
            slot.settle(outcomes)
