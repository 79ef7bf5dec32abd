"""The worker's side of the store watch: Dramatiq's consumers keep quiet about a Redis outage
(they would log two lines per queue every 3 s), and a probe thread reports each store's state
once per change."""

from __future__ import annotations

import logging

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from shared.store_watch import (
    POSTGRESQL,
    REDIS,
    StoreProbe,
    StoreWatch,
    check_postgresql,
    check_redis,
)
from workers.bootstrap import WorkerParts

CONSUMER_LOGGERS = "dramatiq.worker.ConsumerThread"
CONNECTION_ERROR = "Consumer encountered a connection error: %s"
RESTARTING = "Restarting consumer in"
PROBE_EVERY_S = 2.0


class QuietConsumerReconnects(logging.Filter):
    """Drops the consumers' connection-error and restart lines, telling the watch instead."""

    def __init__(self, watch: StoreWatch) -> None:
        super().__init__()
        self.watch = watch

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(CONSUMER_LOGGERS):
            return True
        if record.msg == CONNECTION_ERROR:
            error = str(record.args[0]) if isinstance(record.args, tuple) else None
            self.watch.report(REDIS, False, error)
            return False
        return not str(record.msg).startswith(RESTARTING)


class StoreWatchMiddleware(dramatiq.Middleware):
    """Checks the stores when a worker process boots, then every PROBE_EVERY_S."""

    def __init__(self, probe: StoreProbe) -> None:
        self.probe = probe

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.probe.run_once()
        self.probe.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.probe.stop()


def watch_stores(parts: WorkerParts, broker: RedisBroker) -> StoreWatch:
    """Wire the watch into this worker process: the log filter and the probe middleware."""
    watch = StoreWatch()
    for handler in logging.getLogger().handlers:
        handler.addFilter(QuietConsumerReconnects(watch))
    checks = {POSTGRESQL: check_postgresql(parts.engine), REDIS: check_redis(broker.client)}
    broker.add_middleware(StoreWatchMiddleware(StoreProbe(watch, checks, PROBE_EVERY_S)))
    return watch
