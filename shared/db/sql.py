"""One statement, three ways to run it: SQLAlchemy (workers, CLI, admin), raw asyncpg (the
ingress's hot path) and psycopg straight under a SQLAlchemy transaction (the workers' per-event
statements, shared/db/direct.py). Each statement is written once, with `:name` parameters, and
compiled for each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect


@dataclass(frozen=True)
class Statement:
    """`sync` for a SQLAlchemy Connection; `asyncpg_sql` + `asyncpg_args(...)` for asyncpg;
    `psycopg_sql` (named `%(name)s` parameters) for a psycopg cursor."""

    sql: str
    sync: TextClause = field(init=False)
    asyncpg_sql: str = field(init=False)
    psycopg_sql: str = field(init=False)
    _names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        clause = text(self.sql)
        compiled = clause.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
        object.__setattr__(self, "sync", clause)
        object.__setattr__(self, "asyncpg_sql", str(compiled))
        psycopg_sql = str(clause.compile(dialect=psycopg_dialect()))  # type: ignore[no-untyped-call]
        object.__setattr__(self, "psycopg_sql", psycopg_sql)
        object.__setattr__(self, "_names", tuple(dict.fromkeys(compiled.positiontup or ())))

    def asyncpg_args(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments ($1, $2, …) in the order the compiled statement wants."""
        return [params[name] for name in self._names]
