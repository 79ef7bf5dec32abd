"""The store watch logs a store's state once per change; callers' store errors stay quiet."""

from __future__ import annotations

import logging

import redis
import sqlalchemy.exc
from structlog.testing import capture_logs

from shared.store_watch import REDIS, StoreProbe, StoreWatch, store_of_error
from workers.scheduler import PeriodicJob, Scheduler
from workers.store_watch import CONNECTION_ERROR, QuietConsumerReconnects


def _events(logs):
    return [(entry["event"], entry.get("store")) for entry in logs]


def test_each_change_is_logged_once():
    watch = StoreWatch(clock=iter([0.0, 5.0, 12.5]).__next__)
    with capture_logs() as logs:
        for available in (True, True, False, False, False, True, True):
            watch.report(REDIS, available, None if available else "refused")
    assert _events(logs) == [
        ("store_available", "redis"),
        ("store_unavailable", "redis"),
        ("store_available", "redis"),
    ]
    assert logs[1]["error"] == "refused" and logs[2]["down_for_s"] == 7.5


def test_the_probe_reports_every_store_it_checks():
    state = {"redis": True}

    def check_redis() -> None:
        if not state["redis"]:
            raise redis.exceptions.ConnectionError("Error 111 connecting")

    probe = StoreProbe(StoreWatch(), {"postgresql": lambda: None, "redis": check_redis})
    with capture_logs() as logs:
        probe.run_once()
        state["redis"] = False
        probe.run_once()
        probe.run_once()
    assert _events(logs) == [
        ("store_available", "postgresql"),
        ("store_available", "redis"),
        ("store_unavailable", "redis"),
    ]


def test_errors_name_their_store():
    assert store_of_error(redis.exceptions.ConnectionError()) == "redis"
    assert store_of_error(redis.exceptions.TimeoutError()) == "redis"
    refused = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("refused"))
    assert store_of_error(refused) == "postgresql"
    assert store_of_error(ValueError("bug")) is None


def test_a_scheduler_job_failing_on_a_store_logs_only_through_the_watch():
    def down() -> None:
        raise redis.exceptions.ConnectionError("Error 111")

    def bug() -> None:
        raise ValueError("a bug")

    scheduler = Scheduler(jobs=[PeriodicJob("relay", 5, down), PeriodicJob("x", 5, bug)],
                          clock=lambda: 0.0)  # fmt: skip
    with capture_logs() as logs:
        for _ in range(5):
            scheduler.tick()
    warnings = [
        (e["event"], e.get("store") or e.get("job")) for e in logs if e["log_level"] != "debug"
    ]
    assert warnings == [("store_unavailable", "redis")] + [("scheduler.send_failed", "x")] * 5


def _record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.CRITICAL, __file__, 1, msg, args, None)


def test_dramatiq_consumer_reconnect_lines_become_one_store_line():
    quiet = QuietConsumerReconnects(StoreWatch())
    consumer = "dramatiq.worker.ConsumerThread(events)"
    with capture_logs() as logs:
        kept = [
            quiet.filter(_record(consumer, CONNECTION_ERROR, "Error 111")),
            quiet.filter(_record(consumer, "Restarting consumer in %0.2f seconds.", 3.0)),
            quiet.filter(_record(consumer.replace("events", "webhooks"), CONNECTION_ERROR, "x")),
            quiet.filter(_record(consumer, "Consumer encountered an unexpected error.")),
            quiet.filter(_record("dramatiq.worker.Worker", "Worker has been shut down.")),
        ]
    assert kept == [False, False, False, True, True]
    assert _events(logs) == [("store_unavailable", "redis")]
