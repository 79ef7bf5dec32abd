"""Every statement on `reconciliation_runs`, and a run as the contract shows it (section 7):
used by the worker that runs it, the scheduler that claims the daily one, the CLI and the
admin API."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from shared.db.sql import Statement
from shared.isotime import iso_utc
from shared.statuses import RunStatus, RunTrigger

SUMMARY_COUNTERS = (
    "subscriptions_checked",
    "purchases_checked",
    "events_replayed",
    "drift_detected",
    "corrected",
    "errors",
)
# `scheduled_for` is set only for the daily run: its uniqueness makes it once per day.
CREATE = Statement(
    """INSERT INTO reconciliation_runs (id, trigger, days_back, scheduled_for)
       VALUES (:id, :trigger, :days_back, :scheduled_for)
       ON CONFLICT (scheduled_for) DO NOTHING RETURNING id"""
)
FINISH = Statement(
    """UPDATE reconciliation_runs SET
           status = :status, finished_at = now(), error_message = :error_message,
           subscriptions_checked = :subscriptions_checked, purchases_checked = :purchases_checked,
           events_replayed = :events_replayed, drift_detected = :drift_detected,
           corrected = :corrected, errors = :errors
       WHERE id = :id"""
)
LOAD = Statement("SELECT * FROM reconciliation_runs WHERE id = :id")
NEWEST = Statement("SELECT * FROM reconciliation_runs ORDER BY started_at DESC, id LIMIT :limit")


@dataclass
class RunCounters:
    subscriptions_checked: int = 0
    purchases_checked: int = 0
    events_replayed: int = 0
    drift_detected: int = 0
    corrected: int = 0
    errors: int = 0


def new_run_id() -> str:
    return "rec_" + uuid.uuid4().hex


def create_run(
    engine: Engine, trigger: RunTrigger, days_back: int, scheduled_for: date | None = None
) -> str | None:
    """A new `running` row; None when the daily run of `scheduled_for` is already claimed."""
    params = {
        "id": new_run_id(),
        "trigger": trigger,
        "days_back": days_back,
        "scheduled_for": scheduled_for,
    }
    with engine.begin() as tx:
        return tx.execute(CREATE.sync, params).scalar_one_or_none()


def finish_run(
    engine: Engine, run_id: str, counters: RunCounters, status: RunStatus, error: str | None
) -> None:
    params = {"id": run_id, "status": status.value, "error_message": error, **asdict(counters)}
    with engine.begin() as tx:
        tx.execute(FINISH.sync, params)


def load_run(engine: Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(LOAD.sync, {"id": run_id}).mappings().first()
    return dict(row) if row is not None else None


def newest_runs(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The history, newest first."""
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(NEWEST.sync, {"limit": limit}).mappings()]


def summary_json(row: dict[str, Any]) -> dict[str, Any]:
    """The contract's summary fields (section 7), from a run's row."""
    return {
        **{name: row[name] for name in SUMMARY_COUNTERS},
        "started_at": iso_utc(row["started_at"]),
        "finished_at": iso_utc(row["finished_at"]),
    }


def run_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "run_id": row["id"],
        "status": row["status"],
        **summary_json(row),
        "days_back": row["days_back"],
        "trigger": row["trigger"],
        "error_message": row["error_message"],
    }
