"""The daily run: claimed through a unique row per UTC date, so that however many schedulers
run, one of them starts it, once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from sqlalchemy import Engine

from shared.operations.reconciliation import RunNotQueued, SendRun, request_run
from shared.stripe_api import NO_STRIPE_KEY

log = structlog.get_logger("workers.scheduler")


@dataclass
class DailyReconciliation:
    engine: Engine
    send: SendRun  # enqueue (run_id, days_back) for a worker
    hour_utc: int
    days_back: int
    has_stripe_key: bool
    now: Callable[[], datetime]  # timezone-aware UTC; tests drive it
    _refused_on: date | None = field(default=None, init=False)

    def maybe_start(self) -> str | None:
        """Start today's run if it is the hour and nobody has; returns the run id if we did."""
        now = self.now()
        if now.hour != self.hour_utc:
            return None
        if not self.has_stripe_key:
            if self._refused_on != now.date():
                log.error("reconciliation.refused", reason=NO_STRIPE_KEY)
                self._refused_on = now.date()
            return None
        try:
            run_id = request_run(
                self.engine, self.send, "schedule", self.days_back, scheduled_for=now.date()
            )
        except RunNotQueued as exc:
            log.error("reconciliation.enqueue_failed", error=str(exc))
            return None
        if run_id is not None:
            log.info("reconciliation.scheduled", run_id=run_id, days_back=self.days_back)
        return run_id
