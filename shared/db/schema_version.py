"""Is the database's schema the one this code needs? Read by /ready (contract section 5) and by
`serve` and `worker` before they start: a process on a schema that is behind would answer
`/ready` 200 and then fail on every event."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import asyncpg
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
CURRENT = "SELECT version_num FROM alembic_version"


@cache
def newest_revision() -> str:
    """The head of the migrations shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def behind(current: str | None) -> str | None:
    """Why the schema is not the newest (the operator's next step included), None when it is."""
    newest = newest_revision()
    if current == newest:
        return None
    if current is None:
        return f"absent, newest {newest}: run billing migrate"
    return f"at {current}, newest {newest}: run billing migrate"


def check(engine: Engine) -> str | None:
    """behind() for the database of `engine` (raises what the driver raises if unreachable)."""
    with engine.connect() as conn:
        try:
            current = conn.execute(text(CURRENT)).scalar_one_or_none()
        except ProgrammingError:  # no alembic_version table: never migrated
            current = None
    return behind(current)


async def check_async(pool: asyncpg.Pool) -> str | None:
    try:
        current = await pool.fetchval(CURRENT)
    except asyncpg.UndefinedTableError:
        current = None
    return behind(current)
