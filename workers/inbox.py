"""The once-only gate between the queue and the handlers.

The event row is locked, refused if already handled, applied, and stamped handled in the same
unit of work as the state change; so a redelivered or relayed message changes nothing. Handlers
never commit and never check "already done": this is the one place that does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from shared.db import webhook_events
from shared.records import Owner
from shared.settings import StripeMode
from shared.statuses import EventStatus
from shared.unit_of_work import UnitOfWork, Work
from workers.payloads.errors import MalformedEvent

log = structlog.get_logger("workers.inbox")

Handler = Callable[[Connection, dict[str, Any]], set[Owner]]
# Only for this transaction: a lock held longer than this (a user's, a customer's, the event's)
# means somebody is stuck, and the thread is better spent on other users' events meanwhile.
LIMIT_LOCK_WAITS = text("SELECT set_config('lock_timeout', :timeout, true)")
LOCK_NOT_AVAILABLE = "55P03"


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
        Raises UserBusy when a lock it needs is held by a transaction that does not end."""
        try:
            with self.uow.begin() as work:
                if self.lock_timeout_ms:
                    work.tx.execute(LIMIT_LOCK_WAITS, {"timeout": f"{self.lock_timeout_ms}ms"})
                outcome = self._apply_locked(work, event_id)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                self.record_failure(event_id, exc, final=False)
                raise
            log.info("event.busy", event_id=event_id, lock_timeout_ms=self.lock_timeout_ms)
            raise UserBusy(f"event {event_id}: a lock it needs is held") from None
        except Exception as exc:
            self.record_failure(event_id, exc, final=False)
            raise
        # Logged once committed: a line an operator greps for is never one a rollback undid.
        outcome.log(log.bind(event_id=event_id))
        return outcome.status

    def _apply_locked(self, work: Work, event_id: str) -> Outcome:
        row = webhook_events.lock_for_processing(work.tx, event_id)
        if row is None:
            return Outcome(None, "warning", "event.unknown")
        said = {"event_type": row.type}
        if row.status != EventStatus.RECEIVED:  # handled, or failed until an operator retries
            return Outcome(None, "info", "event.not_received", {**said, "status": row.status})
        if self.mode != "both" and row.livemode != (self.mode == "live"):
            error = f"{'live' if row.livemode else 'test'}-mode event; STRIPE_MODE={self.mode}"
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.SKIPPED, error=error)
            return Outcome(EventStatus.SKIPPED, "info", "event.skipped", {**said, "reason": error})
        handler = self.handlers.get(row.type)
        if handler is None:
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.SKIPPED)
            return Outcome(EventStatus.SKIPPED, "info", "event.skipped", said)
        try:
            with work.tx.begin_nested():
                touched = handler(work.tx, row.payload)
        except PERMANENT_ERRORS as exc:
            error = f"malformed event: {_describe(exc)}"
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.FAILED, error=error)
            return Outcome(
                EventStatus.FAILED, "error", "event.malformed", {**said, "error": str(exc)}
            )
        work.touch(touched)
        # Recompute (waiting for the users' locks) before the row is updated: while it is only
        # locked FOR UPDATE, Stripe's redelivery of this event (INSERT … ON CONFLICT) does not
        # wait for this transaction, as it would on an updated row.
        work.flush()
        webhook_events.stamp_handled(work.tx, event_id, EventStatus.PROCESSED)
        return Outcome(
            EventStatus.PROCESSED,
            "info",
            "event.processed",
            {**said, "users_touched": len(touched)},
        )

    def record_failure(self, event_id: str, exc: BaseException | str, final: bool) -> None:
        """Count a failed try in its own transaction; `final` once Dramatiq's retries are spent.

        A try that fails stays `received` (Dramatiq redelivers it after a backoff)."""
        message = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        try:
            with self.uow.begin() as work:
                if final:
                    webhook_events.mark_failed(work.tx, event_id)
                else:
                    webhook_events.record_failed_try(work.tx, event_id, message)
        except Exception as db_exc:  # the database itself is what failed; Dramatiq retries
            log.error("event.failure_not_recorded", event_id=event_id, error=str(db_exc))
            return
        log.warning(
            "event.failed" if final else "event.try_failed", event_id=event_id, error=message
        )


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, MalformedEvent) else f"{type(exc).__name__}: {exc}"
