"""Every statement on `imports`, and an import as the contract shows it (section 8): used by the
process that runs it (CLI or worker), the admin API and the CLI's summary."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from shared.db.sql import Statement
from shared.isotime import iso_utc
from shared.statuses import RunStatus

# The order an import walks the account in: owners first, so later objects find their links.
Stage = Literal["customers", "checkout_sessions", "subscriptions", "payment_intents", "done"]
STAGES: tuple[Stage, ...] = (
    "customers",
    "checkout_sessions",
    "subscriptions",
    "payment_intents",
    "done",
)
SUMMARY_COUNTERS = (
    "customers",
    "checkout_sessions",
    "subscriptions",
    "purchases",
    "owners_linked",
    "unowned",
    "errors",
)
CREATE = Statement(
    """INSERT INTO imports (id, trigger, stage) VALUES (:id, :trigger, 'customers') RETURNING id"""
)
LOAD = Statement("SELECT * FROM imports WHERE id = :id")
# One page done: its counters added and the place after it saved, in the page's transaction.
SAVE_PAGE = Statement(
    """UPDATE imports SET
           stage = :stage, cursor = :cursor, pages = pages + 1,
           customers = customers + :customers,
           checkout_sessions = checkout_sessions + :checkout_sessions,
           subscriptions = subscriptions + :subscriptions,
           purchases = purchases + :purchases,
           owners_linked = owners_linked + :owners_linked,
           unowned = unowned + :unowned
       WHERE id = :id"""
)
FINISH = Statement(
    """UPDATE imports SET status = :status, finished_at = now(), error_message = :error,
           errors = errors + :errors
       WHERE id = :id"""
)
REOPEN = Statement(
    """UPDATE imports SET status = 'running', finished_at = NULL, error_message = NULL
       WHERE id = :id"""
)
# Held by the process running an import for as long as it runs: a second process cannot resume
# it meanwhile, and a killed one releases it with its connection.
TRY_LOCK = Statement("SELECT pg_try_advisory_lock(hashtextextended('import:' || :id, 0))")
UNLOCK = Statement("SELECT pg_advisory_unlock(hashtextextended('import:' || :id, 0))")


@dataclass
class PageCounts:
    customers: int = 0
    checkout_sessions: int = 0
    subscriptions: int = 0
    purchases: int = 0
    owners_linked: int = 0
    unowned: int = 0


def new_import_id() -> str:
    return "imp_" + uuid.uuid4().hex


def create_import(engine: Engine, trigger: str) -> str:
    with engine.begin() as tx:
        import_id: str = tx.execute(
            CREATE.sync, {"id": new_import_id(), "trigger": trigger}
        ).scalar_one()
    return import_id


def load_import(engine: Engine, import_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(LOAD.sync, {"id": import_id}).mappings().first()
    return dict(row) if row is not None else None


def save_page(
    tx: Connection, import_id: str, stage: Stage, cursor: str | None, counts: PageCounts
) -> None:
    tx.execute(
        SAVE_PAGE.sync, {"id": import_id, "stage": stage, "cursor": cursor, **asdict(counts)}
    )


def finish_import(
    engine: Engine, import_id: str, status: RunStatus, error: str | None, errors: int = 0
) -> None:
    params = {"id": import_id, "status": status.value, "error": error, "errors": errors}
    with engine.begin() as tx:
        tx.execute(FINISH.sync, params)


def reopen_import(engine: Engine, import_id: str) -> None:
    with engine.begin() as tx:
        tx.execute(REOPEN.sync, {"id": import_id})


def try_lock(conn: Connection, import_id: str) -> bool:
    return bool(conn.execute(TRY_LOCK.sync, {"id": import_id}).scalar_one())


def unlock(conn: Connection, import_id: str) -> None:
    conn.execute(UNLOCK.sync, {"id": import_id})
    conn.commit()


def import_json(row: dict[str, Any]) -> dict[str, Any]:
    """The contract's fields (section 8), plus where it stands."""
    return {
        "import_id": row["id"],
        "status": row["status"],
        **{name: row[name] for name in SUMMARY_COUNTERS},
        "started_at": iso_utc(row["started_at"]),
        "finished_at": iso_utc(row["finished_at"]),
        "stage": row["stage"],
        "pages": row["pages"],
        "trigger": row["trigger"],
        "error_message": row["error_message"],
    }
