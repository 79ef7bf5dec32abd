"""The clock process: sends the periodic messages; the work itself runs in the workers."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from shared.store_watch import StoreWatch

log = structlog.get_logger("workers.scheduler")


@dataclass
class PeriodicJob:
    name: str
    every_s: float
    send: Callable[[], object]
    next_at: float = 0.0


@dataclass
class Scheduler:
    jobs: list[PeriodicJob]
    clock: Callable[[], float]
    # A send that fails for a store being down is the watch's to report, once per outage.
    watch: StoreWatch = field(default_factory=StoreWatch)
    stop: threading.Event = field(default_factory=threading.Event)

    def tick(self) -> None:
        """Send every job that is due; a failed send (Redis down) is tried again next tick."""
        now = self.clock()
        for job in self.jobs:
            if now < job.next_at:
                continue
            try:
                job.send()
            except Exception as exc:
                if self.watch.report_error(exc):
                    log.debug("scheduler.send_failed", job=job.name, error=str(exc))
                else:
                    log.warning("scheduler.send_failed", job=job.name, error=str(exc))
                continue
            job.next_at = now + job.every_s
            log.debug("scheduler.sent", job=job.name)

    def run_forever(self, tick_s: float = 1.0) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop.set())
        log.info("scheduler.started", jobs=[job.name for job in self.jobs])
        while not self.stop.is_set():
            self.tick()
            self.stop.wait(tick_s)
        log.info("scheduler.stopped")
