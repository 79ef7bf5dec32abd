"""`is_linked` answers from the batch's customer lock instead of a query an event: exact after a
link written in the transaction, and after a savepoint that wrote one rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from shared.records import Owner
from shared.state.ownership import is_linked, link_customer, lock_customers
from tests.support.state import create_project

ALICE = Owner("acme", "alice")


@pytest.fixture(autouse=True)
def _project(clean_db: Engine) -> None:
    create_project(clean_db, ALICE.project_id)


def _link_in_own_transaction(engine: Engine, customer_id: str) -> None:
    with engine.begin() as tx:
        link_customer(tx, customer_id, ALICE, created=100)


def test_the_lock_reads_who_is_linked(clean_db: Engine) -> None:
    _link_in_own_transaction(clean_db, "cus_linked")
    with clean_db.begin() as tx:
        lock_customers(tx, {"cus_linked", "cus_new"})
        assert is_linked(tx, "cus_linked")
        assert not is_linked(tx, "cus_new")
        assert not is_linked(tx, "cus_never_locked")  # not held: read from the table


def test_a_link_written_in_the_batch_is_seen(clean_db: Engine) -> None:
    with clean_db.begin() as tx:
        lock_customers(tx, {"cus_1"})
        assert not is_linked(tx, "cus_1")
        link_customer(tx, "cus_1", ALICE, created=100)
        assert is_linked(tx, "cus_1")


def test_a_link_in_a_rolled_back_savepoint_is_not(clean_db: Engine) -> None:
    with clean_db.begin() as tx:
        lock_customers(tx, {"cus_1", "cus_2"})
        savepoint = tx.begin_nested()
        link_customer(tx, "cus_1", ALICE, created=100)
        assert is_linked(tx, "cus_1")
        savepoint.rollback()
        assert not is_linked(tx, "cus_1")
        with tx.begin_nested():
            link_customer(tx, "cus_2", ALICE, created=100)
        assert is_linked(tx, "cus_2")
    with clean_db.connect() as conn:
        linked = conn.execute(text("SELECT id FROM customers WHERE project_id IS NOT NULL"))
        assert linked.scalars().all() == ["cus_2"]
