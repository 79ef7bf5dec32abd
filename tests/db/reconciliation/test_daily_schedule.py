"""The daily run: at RECONCILIATION_SCHEDULE_HOUR UTC, once per day however many schedulers run
(a unique row per UTC date), driven by a clock the test moves; nothing sleeps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial

import pytest
import redis
from sqlalchemy import Engine
from structlog.testing import capture_logs

from shared.db.engine import create_sync_engine
from shared.queue import MAINTENANCE_QUEUE, RECONCILE_ACTOR
from shared.settings import Settings
from shared.stripe_api import NO_STRIPE_KEY
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import run_rows
from tests.support.stores import queued_messages
from tests.support.stripe_account import fake_stripe_settings
from workers.reconciliation.daily import DailyReconciliation
from workers.scheduler_main import build_scheduler

HOUR_UTC = 2
DAYS_BACK = 5
DAILY_JOB = "daily-reconciliation"


@dataclass
class DrivenClock:
    """What both schedulers read as "now"; the test moves it."""

    now: datetime = datetime(2030, 5, 17, 1, 59, 59, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Scheduler:
    daily: DailyReconciliation
    sent: list[tuple[str, int]] = field(default_factory=list)


@pytest.fixture
def engines(recon_settings: Settings) -> Iterator[list[Engine]]:
    """One engine per scheduler process, as scheduler_main builds it."""
    built = [create_sync_engine(recon_settings, pool_size=1) for _ in range(2)]
    yield built
    for engine in built:
        engine.dispose()


def two_schedulers(
    engines: list[Engine], clock: DrivenClock, has_key: bool = True
) -> list[Scheduler]:
    schedulers = []
    for engine in engines:
        sent: list[tuple[str, int]] = []
        daily = DailyReconciliation(
            engine=engine,
            send=partial(record_send, sent),
            hour_utc=HOUR_UTC,
            days_back=DAYS_BACK,
            has_stripe_key=has_key,
            now=clock,
        )
        schedulers.append(Scheduler(daily, sent))
    return schedulers


def record_send(sent: list[tuple[str, int]], run_id: str, days_back: int) -> None:
    """What the scheduler's `send` would put on the queue, kept for the test to count."""
    sent.append((run_id, days_back))


def tick_together(schedulers: list[Scheduler]) -> list[str | None]:
    """Both schedulers' checks at the same moment, released together from a barrier."""
    barrier = threading.Barrier(len(schedulers))

    def tick(scheduler: Scheduler) -> str | None:
        barrier.wait(timeout=10)
        return scheduler.daily.maybe_start()

    with ThreadPoolExecutor(len(schedulers)) as pool:
        return list(pool.map(tick, schedulers))


def sends(schedulers: list[Scheduler]) -> list[tuple[str, int]]:
    return [message for scheduler in schedulers for message in scheduler.sent]


def test_the_daily_schedule_fires_once_for_two_concurrent_schedulers(
    engines: list[Engine], clean_db: Engine
) -> None:
    clock = DrivenClock()
    schedulers = two_schedulers(engines, clock)

    assert tick_together(schedulers) == [None, None]  # 01:59:59, before the hour
    assert run_rows(clean_db) == [] and sends(schedulers) == []

    clock.now = clock.now.replace(hour=HOUR_UTC, minute=0, second=0)
    started = [run_id for run_id in tick_together(schedulers) if run_id is not None]

    assert len(started) == 1
    [row] = run_rows(clean_db)
    assert (row["id"], row["trigger"], row["scheduled_for"]) == (
        started[0],
        "schedule",
        date(2030, 5, 17),
    )
    assert (row["status"], row["days_back"]) == ("running", DAYS_BACK)
    assert sends(schedulers) == [(started[0], DAYS_BACK)]

    for minute in (0, 30, 59):  # later the same day, however often they check
        clock.now = clock.now.replace(minute=minute)
        assert tick_together(schedulers) == [None, None]
    clock.now = clock.now.replace(hour=23)
    assert tick_together(schedulers) == [None, None]
    assert len(run_rows(clean_db)) == 1 and len(sends(schedulers)) == 1

    clock.now = datetime(2030, 5, 18, HOUR_UTC, 0, 1, tzinfo=UTC)  # the next day at the hour
    next_day = [run_id for run_id in tick_together(schedulers) if run_id is not None]

    assert len(next_day) == 1 and next_day != started
    assert [row["scheduled_for"] for row in run_rows(clean_db)] == [
        date(2030, 5, 17),
        date(2030, 5, 18),
    ]
    assert len(sends(schedulers)) == 2


def test_the_daily_run_is_sent_to_the_workers_as_a_reconciliation_message(
    fake_stripe: FakeStripe, clean_db: Engine, clean_redis: redis.Redis
) -> None:
    settings = fake_stripe_settings(fake_stripe, RECONCILIATION_SCHEDULE_HOUR=str(HOUR_UTC))
    scheduler = build_scheduler(settings)
    [daily_job] = [job for job in scheduler.jobs if job.name == DAILY_JOB]
    daily = daily_job.send.__self__  # type: ignore[attr-defined]
    assert isinstance(daily, DailyReconciliation)
    daily.now = lambda: datetime(2030, 5, 17, HOUR_UTC, 0, tzinfo=UTC)

    run_id = daily.maybe_start()

    [message] = queued_messages(clean_redis, MAINTENANCE_QUEUE)
    assert message["actor_name"] == RECONCILE_ACTOR
    assert message["kwargs"] == {"run_id": run_id, "days_back": settings.reconciliation_days_back}
    daily.engine.dispose()


def test_reconciliation_disabled_means_the_scheduler_has_no_daily_job(
    fake_stripe: FakeStripe,
) -> None:
    enabled = build_scheduler(fake_stripe_settings(fake_stripe, RECONCILIATION_ENABLED="true"))
    disabled = build_scheduler(fake_stripe_settings(fake_stripe, RECONCILIATION_ENABLED="false"))

    assert DAILY_JOB in [job.name for job in enabled.jobs]
    assert DAILY_JOB not in [job.name for job in disabled.jobs]
    assert "relay" in [job.name for job in disabled.jobs]


def test_without_a_stripe_key_the_daily_run_is_refused_with_a_log_line_and_no_row(
    engines: list[Engine], clean_db: Engine
) -> None:
    clock = DrivenClock(datetime(2030, 5, 17, HOUR_UTC, 0, tzinfo=UTC))
    schedulers = two_schedulers(engines, clock, has_key=False)

    with capture_logs() as logs:
        assert tick_together(schedulers) == [None, None]
        clock.now = clock.now.replace(minute=30)
        assert tick_together(schedulers) == [None, None]

    assert run_rows(clean_db) == [] and sends(schedulers) == []
    refusals = [line for line in logs if line["event"] == "reconciliation.refused"]
    assert len(refusals) == 2  # once a day per scheduler, not at every check
    assert all(
        line["log_level"] == "error" and line["reason"] == NO_STRIPE_KEY for line in refusals
    )
    assert "STRIPE_SECRET_KEY" in NO_STRIPE_KEY
