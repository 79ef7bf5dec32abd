"""Scratch databases beside the test one, for migrations and schema checks."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.support.stores import throwaway_database


@pytest.fixture
def absent_database_url() -> Iterator[str]:
    """The URL of a database that does not exist yet beside the test one; dropped afterwards."""
    with throwaway_database(f"billing_migrations_test_{os.getpid()}", create=False) as url:
        yield url


@pytest.fixture
def scratch_database_url(absent_database_url: str) -> str:
    """A fresh, empty database, dropped afterwards."""
    url = make_url(absent_database_url)
    assert url.database is not None
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
    return absent_database_url
