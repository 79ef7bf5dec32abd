"""Statements run straight on psycopg (shared/db/direct.py) belong to the SQLAlchemy transaction
of the connection they are given: committed with it, rolled back with it, errors as SQLAlchemy's."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from shared.db.direct import run
from shared.db.sql import Statement

INSERT = Statement("INSERT INTO customers (id) VALUES (:id)")
COUNT = text("SELECT count(*) FROM customers WHERE id = :id")


def _stored(engine: Engine, customer_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(COUNT, {"id": customer_id}).scalar_one())


def test_a_write_is_committed_with_the_connections_commit(clean_db: Engine) -> None:
    with clean_db.connect() as conn:
        run(conn, INSERT, {"id": "cus_commit_as_you_go"})
        conn.commit()
    assert _stored(clean_db, "cus_commit_as_you_go") == 1


def test_a_write_is_undone_with_the_transaction(clean_db: Engine) -> None:
    with pytest.raises(RuntimeError), clean_db.begin() as tx:
        run(tx, INSERT, {"id": "cus_rolled_back"})
        raise RuntimeError("the unit of work fails")
    with clean_db.connect() as conn:
        run(conn, INSERT, {"id": "cus_never_committed"})  # closed without commit()
    assert _stored(clean_db, "cus_rolled_back") == 0
    assert _stored(clean_db, "cus_never_committed") == 0


def test_a_database_error_is_sqlalchemys(clean_db: Engine) -> None:
    with pytest.raises(IntegrityError), clean_db.begin() as tx:
        run(tx, INSERT, {"id": "cus_twice"})
        run(tx, INSERT, {"id": "cus_twice"})
    assert _stored(clean_db, "cus_twice") == 0
