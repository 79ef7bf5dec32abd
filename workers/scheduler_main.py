"""The scheduler process's composition root: the relays every 5 s, grace ends every 30 s, the
daily reconciliation."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import partial

from shared.log_setup import configure_logging
from shared.operations.grace import end_graces
from shared.queue import enqueue_delivery_relay, enqueue_relay
from shared.settings import Settings, load_settings
from shared.store_watch import (
    POSTGRESQL,
    REDIS,
    StoreProbe,
    StoreWatch,
    check_postgresql,
    check_redis,
)
from workers.bootstrap import build_worker_parts
from workers.reconciliation.daily import DailyReconciliation
from workers.relay import RelaySender
from workers.scheduler import PeriodicJob, Scheduler

RELAY_EVERY_S = 5.0
DELIVERY_RELAY_EVERY_S = 5.0
DAILY_CHECK_EVERY_S = 30.0
# A user's entitlement goes within a minute of their grace ending (CONTRACT section 10).
GRACE_CHECK_EVERY_S = 30.0
# Each store asked this often; a change of state is logged once (shared/store_watch.py).
STORE_CHECK_EVERY_S = 2.0


def build_scheduler(settings: Settings) -> Scheduler:
    parts = build_worker_parts(settings, pool_size=1)
    watch = StoreWatch()
    checks = {POSTGRESQL: check_postgresql(parts.engine), REDIS: check_redis(parts.broker.client)}
    jobs = [
        # first in the list: at start and after an outage, the state is known before the sends
        PeriodicJob("store-check", STORE_CHECK_EVERY_S, StoreProbe(watch, checks).run_once),
        PeriodicJob("relay", RELAY_EVERY_S, RelaySender(partial(enqueue_relay, parts.broker))),
        PeriodicJob(
            "delivery-relay",
            DELIVERY_RELAY_EVERY_S,
            partial(enqueue_delivery_relay, parts.broker),
        ),
        PeriodicJob("grace-ends", GRACE_CHECK_EVERY_S, partial(end_graces, parts.uow)),
    ]
    if settings.reconciliation_enabled:
        daily = DailyReconciliation(
            engine=parts.engine,
            send=parts.send_reconciliation,
            hour_utc=settings.reconciliation_schedule_hour,
            days_back=settings.reconciliation_days_back,
            has_stripe_key=settings.stripe_secret_key is not None,
            now=lambda: datetime.now(UTC),
        )
        jobs.append(PeriodicJob("daily-reconciliation", DAILY_CHECK_EVERY_S, daily.maybe_start))
    return Scheduler(jobs=jobs, clock=time.monotonic, watch=watch)


def run_scheduler() -> int:
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    build_scheduler(settings).run_forever()
    return 0
