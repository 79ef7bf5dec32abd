"""Requesting a reconciliation run for a worker: the admin API and the daily schedule.

The run's row is created first, then the message sent; a send that fails ends the row `failed`
with the reason, so no run stays `running` forever.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine

from shared.db.reconciliation_runs import RunCounters, create_run, finish_run
from shared.statuses import RunStatus, RunTrigger

SendRun = Callable[[str, int], None]  # (run_id, days_back) onto the maintenance queue


class RunNotQueued(RuntimeError):
    """The run's row exists (now `failed`) but no worker was told to run it."""


def request_run(
    engine: Engine,
    send: SendRun,
    trigger: RunTrigger,
    days_back: int,
    scheduled_for: date | None = None,
) -> str | None:
    """The new run's id; None when the daily run of `scheduled_for` is already claimed."""
    run_id = create_run(engine, trigger, days_back, scheduled_for)
    if run_id is None:
        return None
    try:
        send(run_id, days_back)
    except Exception as exc:
        reason = f"could not enqueue the run: {exc}"
        finish_run(engine, run_id, RunCounters(errors=1), RunStatus.FAILED, reason)
        raise RunNotQueued(reason) from exc
    return run_id
