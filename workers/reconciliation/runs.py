"""reconciliation_runs rows from the worker side (sync): claim, finish, read."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from shared.db.models import RunStatus
from shared.reconciliation_runs import new_run_id

CREATE = text(
    """INSERT INTO reconciliation_runs (id, trigger, days_back, scheduled_for)
       VALUES (:id, :trigger, :days_back, :scheduled_for)
       ON CONFLICT (scheduled_for) DO NOTHING RETURNING id"""
)
FINISH = text(
    """UPDATE reconciliation_runs SET
           status = :status, finished_at = now(), error_message = :error_message,
           subscriptions_checked = :subscriptions_checked, purchases_checked = :purchases_checked,
           events_replayed = :events_replayed, drift_detected = :drift_detected,
           corrected = :corrected, errors = :errors
       WHERE id = :id"""
)


@dataclass
class RunCounters:
    subscriptions_checked: int = 0
    purchases_checked: int = 0
    events_replayed: int = 0
    drift_detected: int = 0
    corrected: int = 0
    errors: int = 0


def create_run(
    engine: Engine, trigger: str, days_back: int, scheduled_for: date | None = None
) -> str | None:
    """A new `running` row; None when the daily run of `scheduled_for` is already claimed."""
    with engine.begin() as tx:
        return tx.execute(
            CREATE,
            {
                "id": new_run_id(),
                "trigger": trigger,
                "days_back": days_back,
                "scheduled_for": scheduled_for,
            },
        ).scalar_one_or_none()


def finish_run(
    engine: Engine, run_id: str, counters: RunCounters, status: RunStatus, error: str | None
) -> None:
    with engine.begin() as tx:
        tx.execute(
            FINISH,
            {"id": run_id, "status": status.value, "error_message": error, **asdict(counters)},
        )


def load_run(engine: Engine, run_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM reconciliation_runs WHERE id = :id"), {"id": run_id})
            .mappings()
            .first()
        )
    return dict(row) if row is not None else None
