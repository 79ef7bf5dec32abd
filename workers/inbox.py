"""The once-only gate between the queue and the handlers.

The event row is locked, refused if already handled, applied, and stamped handled in the same
unit of work as the state change; so a redelivered or relayed message changes nothing. Handlers
never commit and never check "already done": this is the one place that does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Row, text
from sqlalchemy.exc import OperationalError

from shared.db import webhook_events
from shared.db.webhook_events import LockedEvent, Stamp
from shared.records import Owner
from shared.settings import StripeMode
from shared.state.ownership import lock_customers
from shared.statuses import EventStatus
from shared.unit_of_work import UnitOfWork, Work
from workers.payloads.errors import MalformedEvent
from workers.prometheus.worker_metrics import count_final_status

log = structlog.get_logger("workers.inbox")

Handler = Callable[[Connection, dict[str, Any]], set[Owner]]
# Only for this transaction: a lock held longer than this (a user's, a customer's, the event's)
# means somebody is stuck, and the thread is better spent on other users' events meanwhile.
LIMIT_LOCK_WAITS = text("SELECT set_config('lock_timeout', :timeout, true)")
LOCK_NOT_AVAILABLE = "55P03"


class _MalformedInBatch(Exception):
    """A payload failed to read in a batch applied without savepoints: its writes so far cannot
    be undone alone, so the batch is rolled back and applied again with them."""


class UserBusy(RuntimeError):
    """A lock the event needs stayed held past the lock timeout; nothing was applied. Not a
    failure of the event: it is tried again later without counting a try."""


# Raised while reading a payload: the same bytes fail the same way on every retry.
PERMANENT_ERRORS = (MalformedEvent, KeyError, TypeError, AttributeError)


@dataclass(frozen=True)
class Outcome:
    """What a try ended in, and the log line that says so once the transaction is over."""

    status: EventStatus | None
    level: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)

    def log(self, logger: Any) -> None:
        getattr(logger, self.level)(self.message, **self.fields)


@dataclass
class Inbox:
    uow: UnitOfWork
    handlers: Mapping[str, Handler]
    mode: StripeMode = "both"  # test-mode events never grant live entitlements, and back
    lock_timeout_ms: int = 0  # 0: wait for locks as long as it takes

    def process(self, event_id: str) -> EventStatus | None:
        """Apply one stored event once. Returns its final status, None if unknown or handled.
        Raises UserBusy when a lock it needs is held by a transaction that does not end; any
        other failure is counted as a failed try, then raised."""
        try:
            return self.process_batch([event_id])[event_id]
        except UserBusy:
            raise
        except Exception as exc:
            self.record_failure(event_id, exc, final=False)
            raise

    def process_batch(self, event_ids: Sequence[str]) -> dict[str, EventStatus | None]:
        """Apply stored events in one transaction: the wrapper (lock, stamps, commit) and each
        touched user's recompute are paid once for all of them. A malformed payload fails alone;
        anything else raises with nothing applied and no try counted, and the caller then applies
        the events one at a time, so that only the failing one is retried."""
        ids = sorted(set(event_ids))
        started = time.perf_counter()
        try:
            return self._apply_all(ids, isolate=len(ids) == 1, started=started)
        except _MalformedInBatch:  # rare: again, each event in a savepoint of its own
            return self._apply_all(ids, isolate=True, started=started)

    def _apply_all(
        self, ids: list[str], isolate: bool, started: float
    ) -> dict[str, EventStatus | None]:
        """`isolate`: each handler in a savepoint, so a malformed payload's writes are undone
        and it is stamped failed. Without (two round trips an event fewer), a malformed payload
        rolls the whole transaction back (_MalformedInBatch)."""
        try:
            with self.uow.begin() as work:
                if self.lock_timeout_ms:
                    work.tx.execute(LIMIT_LOCK_WAITS, {"timeout": f"{self.lock_timeout_ms}ms"})
                rows = webhook_events.lock_for_processing(work.tx, ids)
                if len(rows) > 1:
                    lock_customers(work.tx, self._customers_to_lock(rows.values()))
                outcomes = {event_id: Outcome(None, "warning", "event.unknown") for event_id in ids}
                stamps: list[webhook_events.Stamp] = []
                for row in sorted(rows.values(), key=_lock_order):
                    outcomes[row.id] = self._apply_locked(work, row, stamps, isolate)
                # Recompute (waiting for the users' locks) before the rows are updated: while
                # they are only locked FOR UPDATE, Stripe's redelivery of these events (INSERT …
                # ON CONFLICT) does not wait for this transaction, as it would on updated rows.
                work.flush()
                webhook_events.stamp_handled(work.tx, stamps)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.info("event.busy", event_ids=ids, lock_timeout_ms=self.lock_timeout_ms)
            raise UserBusy(f"events {', '.join(ids)}: a lock they need is held") from None
        # Logged and counted once committed: never a line or a count a rollback undid.
        applied_s, now = time.perf_counter() - started, datetime.now(UTC)
        for event_id, outcome in outcomes.items():
            outcome.log(log.bind(event_id=event_id))
            if outcome.status is not None:
                row = rows[event_id]
                count_final_status(row.type, outcome.status, now - row.received_at, applied_s)
        return {event_id: outcome.status for event_id, outcome in outcomes.items()}

    def _apply_locked(
        self, work: Work, row: LockedEvent, stamps: list[Stamp], isolate: bool
    ) -> Outcome:
        said = {"event_type": row.type}
        if row.status != EventStatus.RECEIVED:  # handled, or failed until an operator retries
            return Outcome(None, "info", "event.not_received", {**said, "status": row.status})
        if self.mode != "both" and row.livemode != (self.mode == "live"):
            error = f"{'live' if row.livemode else 'test'}-mode event; STRIPE_MODE={self.mode}"
            stamps.append(Stamp(row.id, EventStatus.SKIPPED, error))
            return Outcome(EventStatus.SKIPPED, "info", "event.skipped", {**said, "reason": error})
        handler = self.handlers.get(row.type)
        if handler is None:
            stamps.append(Stamp(row.id, EventStatus.SKIPPED))
            return Outcome(EventStatus.SKIPPED, "info", "event.skipped", said)
        try:
            if isolate:
                with work.tx.begin_nested():
                    touched = handler(work.tx, row.payload)
            else:
                touched = handler(work.tx, row.payload)
        except PERMANENT_ERRORS as exc:
            if not isolate:
                raise _MalformedInBatch(row.id) from exc
            stamps.append(Stamp(row.id, EventStatus.FAILED, f"malformed event: {_describe(exc)}"))
            return Outcome(
                EventStatus.FAILED, "error", "event.malformed", {**said, "error": str(exc)}
            )
        work.touch(touched)
        stamps.append(Stamp(row.id, EventStatus.PROCESSED))
        return Outcome(
            EventStatus.PROCESSED,
            "info",
            "event.processed",
            {**said, "users_touched": len(touched)},
        )

    def _customers_to_lock(self, rows: Iterable[LockedEvent]) -> set[str]:
        """The customers of the events a handler will apply (no row for any other's)."""
        applied = (r for r in rows if r.status == EventStatus.RECEIVED and r.type in self.handlers)
        return {customer for customer in map(_customer_of, applied) if customer}

    def record_failure(self, event_id: str, exc: BaseException | str, final: bool) -> None:
        """Count a failed try in its own transaction; `final` once Dramatiq's retries are spent.

        A try that fails stays `received` (Dramatiq redelivers it after a backoff)."""
        message = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        failed: Row[Any] | None = None
        try:
            with self.uow.begin() as work:
                if final:
                    failed = webhook_events.mark_failed(work.tx, event_id)
                else:
                    webhook_events.record_failed_try(work.tx, event_id, message)
        except Exception as db_exc:  # the database itself is what failed; Dramatiq retries
            log.error("event.failure_not_recorded", event_id=event_id, error=str(db_exc))
            return
        if failed is not None:
            lag = datetime.now(UTC) - failed.received_at
            count_final_status(failed.type, EventStatus.FAILED, lag, applied_s=None)
        log.warning(
            "event.failed" if final else "event.try_failed", event_id=event_id, error=message
        )


def _customer_of(row: LockedEvent) -> str | None:
    """The customer an event's object names, if it names one (read leniently: a malformed
    payload is the handler's to refuse)."""
    data = row.payload.get("data") if isinstance(row.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    customer = obj.get("customer") if isinstance(obj, dict) else None
    return customer if isinstance(customer, str) and customer else None


def _lock_order(row: LockedEvent) -> tuple[str, str]:
    """Events of one customer next to each other, customers in one order in every batch."""
    return (_customer_of(row) or "", row.id)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, MalformedEvent) else f"{type(exc).__name__}: {exc}"
