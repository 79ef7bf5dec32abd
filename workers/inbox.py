"""The once-only gate between the queue and the handlers.

The event row is locked, refused if already handled, applied, and stamped handled in the same
transaction as the state change; so a redelivered or relayed message changes nothing. Handlers
never commit and never check "already done": this is the one place that does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.sql import func

from shared.db.models import EventStatus, WebhookEvent
from workers.errors import MalformedEvent
from workers.owners import Owner

log = structlog.get_logger("workers.inbox")

Handler = Callable[[Connection, dict[str, Any]], set[Owner]]
# recompute runs inside the event's transaction; its result goes to after_commit once committed.
Recompute = Callable[[Connection, Iterable[Owner]], Any]
AfterCommit = Callable[[Any], None]
# Raised while reading a payload: the same bytes fail the same way on every retry.
PERMANENT_ERRORS = (MalformedEvent, KeyError, TypeError, AttributeError)
MAX_ERROR_CHARS = 2000


@dataclass
class Inbox:
    engine: Engine
    handlers: Mapping[str, Handler]
    recompute: Recompute
    after_commit: AfterCommit

    def process(self, event_id: str) -> str | None:
        """Apply one stored event once. Returns its final status, None if unknown or handled."""
        try:
            with self.engine.begin() as tx:
                outcome = self._apply_locked(tx, event_id)
        except Exception as exc:
            self.record_failure(event_id, exc, final=False)
            raise
        if outcome is None:
            return None
        status, recomputed = outcome
        if recomputed:
            try:
                self.after_commit(recomputed)
            except Exception as exc:  # committed; the cache falls back to PostgreSQL
                log.warning("event.cache_refresh_failed", event_id=event_id, error=str(exc))
        return status

    def _apply_locked(self, tx: Connection, event_id: str) -> tuple[str, Any] | None:
        row = tx.execute(
            select(WebhookEvent.type, WebhookEvent.status, WebhookEvent.payload)
            .where(WebhookEvent.id == event_id)
            .with_for_update()
        ).one_or_none()
        bound = log.bind(event_id=event_id)
        if row is None:
            bound.warning("event.unknown")
            return None
        bound = bound.bind(event_type=row.type)
        if row.status != EventStatus.RECEIVED.value:  # handled, or failed until an operator retries
            bound.info("event.not_received", status=row.status)
            return None
        handler = self.handlers.get(row.type)
        if handler is None:
            self._stamp(tx, event_id, EventStatus.SKIPPED)
            bound.info("event.skipped")
            return EventStatus.SKIPPED.value, None
        try:
            with tx.begin_nested():
                touched = handler(tx, row.payload)
                recomputed = self.recompute(tx, touched) if touched else None
        except PERMANENT_ERRORS as exc:
            self._stamp(
                tx, event_id, EventStatus.FAILED, error=f"malformed event: {_describe(exc)}"
            )
            bound.error("event.malformed", error=str(exc))
            return EventStatus.FAILED.value, None
        self._stamp(tx, event_id, EventStatus.PROCESSED)
        bound.info("event.processed", users_touched=len(touched))
        return EventStatus.PROCESSED.value, recomputed

    def _stamp(
        self, tx: Connection, event_id: str, status: EventStatus, error: str | None = None
    ) -> None:
        values: dict[str, Any] = {
            "status": status.value,
            "attempts": WebhookEvent.attempts + 1,
            "processed_at": func.now() if status != EventStatus.FAILED else None,
        }
        if error is not None:
            values["error_message"] = error[:MAX_ERROR_CHARS]
        tx.execute(update(WebhookEvent).where(WebhookEvent.id == event_id).values(**values))

    def record_failure(self, event_id: str, exc: BaseException | str, final: bool) -> None:
        """Count a failed try in its own transaction; `final` once Dramatiq's retries are spent.

        A try that fails stays `received` (Dramatiq redelivers it after a backoff). Its enqueue
        stamp and count move on, so the relay's own doubling wait (RELAY_AFTER_SECONDS x 2^n)
        stays longer than Dramatiq's (EVENT_MIN_BACKOFF_MS x 2^n) and sends no second copy.
        """
        message = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        values: dict[str, Any] = (
            {"status": EventStatus.FAILED.value}
            if final
            else {
                "attempts": WebhookEvent.attempts + 1,
                "error_message": message[:MAX_ERROR_CHARS],
                "enqueued_at": func.now(),
                "enqueue_count": WebhookEvent.enqueue_count + 1,
            }
        )
        statement = update(WebhookEvent).where(WebhookEvent.id == event_id)
        statement = statement.where(WebhookEvent.status == EventStatus.RECEIVED.value)
        try:
            with self.engine.begin() as tx:
                tx.execute(statement.values(**values))
        except Exception as db_exc:  # the database itself is what failed; Dramatiq retries
            log.error("event.failure_not_recorded", event_id=event_id, error=str(db_exc))
            return
        log.warning(
            "event.failed" if final else "event.try_failed", event_id=event_id, error=message
        )


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, MalformedEvent) else f"{type(exc).__name__}: {exc}"
