"""Migrations go up and down on an empty database, and match the models exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from cli.processes_cmd import MIGRATIONS
from shared.db.models import Base
from tests.support.cli import billing


def _alembic(url: str) -> Config:
    config = Config(str(MIGRATIONS))
    config.attributes["database_url"] = url
    return config


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_upgrade_downgrade_and_upgrade_again(scratch_database_url):
    config = _alembic(scratch_database_url)
    model_tables = set(Base.metadata.tables)
    command.upgrade(config, "head")
    assert _tables(scratch_database_url) == model_tables
    command.downgrade(config, "base")
    assert _tables(scratch_database_url) == set()
    command.upgrade(config, "head")
    assert _tables(scratch_database_url) == model_tables


def test_autogenerate_finds_no_difference_from_the_models(scratch_database_url):
    command.upgrade(_alembic(scratch_database_url), "head")
    engine = create_engine(scratch_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_billing_createdb_and_migrate_build_a_missing_database(absent_database_url):
    plain_url = make_url(absent_database_url).set(drivername="postgresql")
    database_url = plain_url.render_as_string(False)
    created = billing("createdb", DATABASE_URL=database_url)
    assert created.code == 0, created.err
    migrated = billing("migrate", DATABASE_URL=database_url)
    assert migrated.code == 0, migrated.err
    assert _tables(absent_database_url) == set(Base.metadata.tables)
