"""Contract section 5: a schema behind the code's migrations makes /ready answer 503 with the
reason, and `billing serve` and `billing worker` refuse to start with one line saying what to
run. Checked on scratch databases migrated to an older revision, and never migrated at all."""

from __future__ import annotations

from alembic import command
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from ingress.app import create_app
from shared.db.schema_version import newest_revision
from tests.db.migrations.test_migrations import _alembic
from tests.support.cli import billing
from tests.support.stores import settings_for

OLDER = "0009"


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def test_ready_names_a_schema_that_is_behind(scratch_database_url):
    command.upgrade(_alembic(scratch_database_url), OLDER)
    with TestClient(create_app(settings_for(DATABASE_URL=_plain(scratch_database_url)))) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["schema"]
    assert body["reasons"] == {
        "schema": f"at {OLDER}, newest {newest_revision()}: run billing migrate"
    }
    assert body["checks"] == {"postgres": True, "redis": True, "schema": False}


def test_ready_once_migrated(scratch_database_url):
    command.upgrade(_alembic(scratch_database_url), "head")
    with TestClient(create_app(settings_for(DATABASE_URL=_plain(scratch_database_url)))) as client:
        response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": True, "redis": True, "schema": True}


def test_serve_and_worker_refuse_a_schema_that_is_behind(scratch_database_url):
    command.upgrade(_alembic(scratch_database_url), OLDER)
    for args in (["serve", "--port", "0"], ["worker"]):
        result = billing(*args, DATABASE_URL=_plain(scratch_database_url), timeout_s=30)
        assert result.code != 0
        lines = result.err.strip().splitlines()
        assert lines == [
            f"billing: database schema at {OLDER}, newest {newest_revision()}: run billing migrate"
        ], result.err
        assert "Traceback" not in result.out + result.err


def test_serve_refuses_a_database_never_migrated(scratch_database_url):
    result = billing("serve", "--port", "0", DATABASE_URL=_plain(scratch_database_url))
    assert result.code != 0
    assert result.err.strip() == (
        f"billing: database schema absent, newest {newest_revision()}: run billing migrate"
    )
