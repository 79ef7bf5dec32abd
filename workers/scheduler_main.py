"""The scheduler process's composition root: the relay every 30 s, the daily reconciliation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial

from shared.db.engine import create_sync_engine
from shared.log_setup import configure_logging
from shared.queue import RECONCILE_ACTOR, RELAY_ACTOR, create_broker, enqueue_maintenance
from shared.settings import Settings, load_settings
from workers.reconciliation.daily import DailyReconciliation
from workers.scheduler import PeriodicJob, Scheduler

RELAY_EVERY_S = 30.0
DAILY_CHECK_EVERY_S = 30.0


def build_scheduler(settings: Settings) -> Scheduler:
    broker = create_broker(settings)
    jobs = [PeriodicJob("relay", RELAY_EVERY_S, partial(enqueue_maintenance, broker, RELAY_ACTOR))]
    if settings.reconciliation_enabled:
        daily = DailyReconciliation(
            engine=create_sync_engine(settings, pool_size=1),
            send=lambda run_id, days_back: enqueue_maintenance(
                broker, RECONCILE_ACTOR, run_id=run_id, days_back=days_back
            ),
            hour_utc=settings.reconciliation_schedule_hour,
            days_back=settings.reconciliation_days_back,
            has_stripe_key=settings.stripe_secret_key is not None,
            now=lambda: datetime.now(UTC),
        )
        jobs.append(PeriodicJob("daily-reconciliation", DAILY_CHECK_EVERY_S, daily.maybe_start))
    return Scheduler(jobs=jobs, clock=time.monotonic)


def run_scheduler() -> int:
    settings = load_settings()
    configure_logging(settings.log_format)
    build_scheduler(settings).run_forever()
    return 0
