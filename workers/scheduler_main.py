"""The scheduler process's composition root."""

from __future__ import annotations

import time
from functools import partial

from shared.log_setup import configure_logging
from shared.queue import RELAY_ACTOR, create_broker, enqueue_maintenance
from shared.settings import load_settings
from workers.scheduler import PeriodicJob, Scheduler

RELAY_EVERY_S = 30.0


def run_scheduler() -> int:
    settings = load_settings()
    configure_logging(settings.log_format)
    broker = create_broker(settings)
    jobs = [PeriodicJob("relay", RELAY_EVERY_S, partial(enqueue_maintenance, broker, RELAY_ACTOR))]
    Scheduler(jobs=jobs, clock=time.monotonic).run_forever()
    return 0
