"""The once-only gate between the queue and the handlers.

The event row is locked, refused if already handled, applied, and stamped handled in the same
unit of work as the state change; so a redelivered or relayed message changes nothing. Handlers
never commit and never check "already done": this is the one place that does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Connection

from shared.db import webhook_events
from shared.records import Owner
from shared.settings import StripeMode
from shared.statuses import EventStatus
from shared.unit_of_work import UnitOfWork, Work
from workers.payloads.errors import MalformedEvent

log = structlog.get_logger("workers.inbox")

Handler = Callable[[Connection, dict[str, Any]], set[Owner]]
# Raised while reading a payload: the same bytes fail the same way on every retry.
PERMANENT_ERRORS = (MalformedEvent, KeyError, TypeError, AttributeError)


@dataclass
class Inbox:
    uow: UnitOfWork
    handlers: Mapping[str, Handler]
    mode: StripeMode = "both"  # test-mode events never grant live entitlements, and back

    def process(self, event_id: str) -> EventStatus | None:
        """Apply one stored event once. Returns its final status, None if unknown or handled."""
        try:
            with self.uow.begin() as work:
                return self._apply_locked(work, event_id)
        except Exception as exc:
            self.record_failure(event_id, exc, final=False)
            raise

    def _apply_locked(self, work: Work, event_id: str) -> EventStatus | None:
        row = webhook_events.lock_for_processing(work.tx, event_id)
        bound = log.bind(event_id=event_id)
        if row is None:
            bound.warning("event.unknown")
            return None
        bound = bound.bind(event_type=row.type)
        if row.status != EventStatus.RECEIVED:  # handled, or failed until an operator retries
            bound.info("event.not_received", status=row.status)
            return None
        if self.mode != "both" and row.livemode != (self.mode == "live"):
            error = f"{'live' if row.livemode else 'test'}-mode event; STRIPE_MODE={self.mode}"
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.SKIPPED, error=error)
            bound.info("event.skipped", reason=error)
            return EventStatus.SKIPPED
        handler = self.handlers.get(row.type)
        if handler is None:
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.SKIPPED)
            bound.info("event.skipped")
            return EventStatus.SKIPPED
        try:
            with work.tx.begin_nested():
                touched = handler(work.tx, row.payload)
        except PERMANENT_ERRORS as exc:
            error = f"malformed event: {_describe(exc)}"
            webhook_events.stamp_handled(work.tx, event_id, EventStatus.FAILED, error=error)
            bound.error("event.malformed", error=str(exc))
            return EventStatus.FAILED
        work.touch(touched)
        # Recompute (waiting for the users' locks) before the row is updated: while it is only
        # locked FOR UPDATE, Stripe's redelivery of this event (INSERT … ON CONFLICT) does not
        # wait for this transaction, as it would on an updated row.
        work.flush()
        webhook_events.stamp_handled(work.tx, event_id, EventStatus.PROCESSED)
        bound.info("event.processed", users_touched=len(touched))
        return EventStatus.PROCESSED

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
