"""The clock (workers/scheduler.py): each job sent when due, a failed send tried again."""

from __future__ import annotations

from workers.scheduler import PeriodicJob, Scheduler


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_is_sent_at_start_and_then_every_period():
    sent: list[float] = []
    clock = FakeClock()
    scheduler = Scheduler(
        jobs=[PeriodicJob("relay", 30, lambda: sent.append(clock.now))], clock=clock
    )
    for now in (1000, 1001, 1029.9, 1030, 1031, 1060):
        clock.now = now
        scheduler.tick()
    assert sent == [1000, 1030, 1060]


def test_a_failed_send_is_tried_again_at_the_next_tick():
    calls: list[float] = []
    clock = FakeClock()

    def send() -> None:
        calls.append(clock.now)
        if len(calls) == 1:
            raise ConnectionError("redis down")

    scheduler = Scheduler(jobs=[PeriodicJob("relay", 30, send)], clock=clock)
    scheduler.tick()
    clock.now += 1
    scheduler.tick()
    clock.now += 1
    scheduler.tick()
    assert calls == [1000, 1001]


def test_one_failing_job_does_not_stop_the_others():
    sent: list[str] = []

    def broken() -> None:
        raise ConnectionError("redis down")

    jobs = [PeriodicJob("broken", 30, broken), PeriodicJob("ok", 30, lambda: sent.append("ok"))]
    Scheduler(jobs=jobs, clock=FakeClock()).tick()
    assert sent == ["ok"]
