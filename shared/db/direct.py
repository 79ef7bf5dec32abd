"""The workers' per-event statements, run on the psycopg connection under the SQLAlchemy
transaction that holds it. SQLAlchemy Core's work around each statement (execution context,
result metadata, row objects) was about 60 µs of CPU a statement, the largest part of a
worker's own CPU per event (py-spy --gil); these statements are plain text with named
parameters whose rows are read by column name, so none of it is needed. The transaction, its
savepoints and its commit stay SQLAlchemy's; errors are raised as SQLAlchemy's, as they would
be from `Connection.execute`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from shared.db.sql import Statement

Params = Mapping[str, Any]


class Rows:
    """What a statement returned: its rows (attributes by column name) and its row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]


def run(tx: Connection, statement: Statement, params: Params | None = None) -> Rows:
    return _run(tx, statement, params, many=False)


def run_many(tx: Connection, statement: Statement, params: Sequence[Params]) -> Rows:
    """One statement for each set of parameters, sent together (psycopg's executemany)."""
    return _run(tx, statement, params, many=True)


def _run(tx: Connection, statement: Statement, params: Any, many: bool) -> Rows:
    if not tx.in_transaction():
        tx.begin()  # as Connection.execute autobegins: the caller's commit() then commits this
    driver = tx.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            if many:
                cursor.executemany(statement.psycopg_sql, params)
                return Rows([], cursor.rowcount)
            cursor.execute(statement.psycopg_sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
            return Rows(rows, cursor.rowcount)
    except psycopg.Error as exc:
        if driver.broken:  # as SQLAlchemy does on a disconnect: never back into the pool
            tx.invalidate(exc)
        raise DBAPIError.instance(statement.sql, params, exc, psycopg.Error) from exc
