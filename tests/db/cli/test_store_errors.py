"""CONTRACT section 6: a store error a user can cause (missing database, wrong role, schema
behind, Redis down) is one line on stderr and a non-zero exit, never a traceback, for every
command that touches that store, and the password of DATABASE_URL never shows. Also: a reader
that goes away (`| head -1`) gets no BrokenPipe traceback."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import psycopg
import psycopg.errors
import pytest
import sqlalchemy.exc
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from cli.failures import describe_store_error
from tests.db.cli.conftest import InProcess
from tests.db.cli.test_help_and_json import TREE
from tests.stripe_events import T0, owner_metadata, subscription_event
from tests.support.cli import CliResult, billing
from tests.support.processes import BILLING, REPO_ROOT
from tests.support.state import create_project, deliver
from tests.support.stores import (
    CLOSED_REDIS_URL,
    TEST_DATABASE_URL,
    insert_event,
    process_env,
    throwaway_database,
)
from tests.support.stripe_account import FakeStripeEnv
from workers.inbox import Inbox

PASSWORD = "s3cret-pw"
WRONG_ROLE_URL = str(
    make_url(TEST_DATABASE_URL).set(username="billing_cli_nobody", password=PASSWORD)
).replace("***", PASSWORD)

# A valid call of each command that reads or writes PostgreSQL.
DATABASE_COMMANDS: dict[tuple[str, ...], list[str]] = {
    ("projects", "create"): ["acme"],
    ("projects", "list"): [],
    ("projects", "default"): ["acme"],
    ("projects", "user-keys"): ["acme", "userId"],
    ("projects", "grace"): ["acme", "--past-due-days", "3"],
    ("apps", "create"): ["--project", "acme"],
    ("apps", "list"): ["--project", "acme"],
    ("apps", "revoke"): ["app_0123"],
    ("products", "map"): ["--project", "acme", "--product", "prod_A", "--entitlement", "pro"],
    ("products", "unmap"): ["--project", "acme", "--product", "prod_A"],
    ("products", "list"): ["--project", "acme"],
    ("events", "list"): [],
    ("events", "show"): ["evt_0123"],
    ("events", "stats"): [],
    ("events", "retry"): ["--failed"],
    ("events", "prune"): ["--older-than-days", "1"],
    ("reconcile", "runs"): [],
    ("metrics",): ["--project", "acme"],
    ("customers", "show"): ["cus_0123"],
    ("users", "show"): ["--project", "acme", "user-1"],
    ("endpoints", "add"): ["--project", "acme", "--url", "https://example.com/hook"],
    ("endpoints", "list"): ["--project", "acme"],
    ("endpoints", "remove"): ["we_0123"],
    ("endpoints", "test"): ["we_0123"],
    ("endpoints", "deliveries"): ["we_0123"],
    ("deliveries", "resend"): ["dlv_0123"],
    ("serve",): ["--port", "0"],
    ("worker",): [],
    ("scheduler",): [],
}
# Checked elsewhere, or not by a call in this process:
NOT_IN_THE_MATRIX = {
    ("createdb",): "creates the missing database; wrong role below",
    ("migrate",): "creates the missing database and migrates an empty one; wrong role below",
    ("reconcile",): "draws progress: a subprocess below",
    ("import",): "draws progress: a subprocess below",
    ("customers", "resync"): "asks Stripe before the database (tests/e2e/adoption)",
}


def test_the_matrix_covers_every_command() -> None:
    assert set(TREE) == set(DATABASE_COMMANDS) | set(NOT_IN_THE_MATRIX) | {
        path[:1] for path in TREE if len(path) == 2
    }


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def empty_database_url() -> Iterator[str]:
    """A database never migrated, made once for the module and dropped after it."""
    with throwaway_database(f"billing_cli_empty_{os.getpid()}") as url:
        yield _plain(url)


@pytest.fixture(scope="module")
def missing_database_url() -> Iterator[str]:
    with throwaway_database(f"billing_cli_missing_{os.getpid()}", create=False) as url:
        yield _plain(url)


@pytest.fixture(scope="module", params=["missing database", "wrong role", "schema absent"])
def broken_database(request: pytest.FixtureRequest) -> tuple[str, str]:
    """DATABASE_URL of a broken database, and words the one line must carry."""
    if request.param == "missing database":
        return request.getfixturevalue("missing_database_url"), "does not exist"
    if request.param == "wrong role":
        return WRONG_ROLE_URL, "billing_cli_nobody"
    return request.getfixturevalue("empty_database_url"), "run billing migrate"


def _one_line(result: CliResult) -> str:
    lines = result.err.strip().splitlines()
    assert result.code != 0 and len(lines) == 1, result
    assert lines[0].startswith("billing: ") and "Traceback" not in result.out + result.err
    assert PASSWORD not in result.out + result.err
    return lines[0]


@pytest.mark.parametrize("path", sorted(DATABASE_COMMANDS), ids=" ".join)
def test_a_broken_database_is_one_line(
    path: tuple[str, ...], broken_database: tuple[str, str], billing_in_process: InProcess
) -> None:
    url, says = broken_database

    failed = billing_in_process(*path, *DATABASE_COMMANDS[path], DATABASE_URL=url)

    assert says in _one_line(failed)


@pytest.mark.parametrize("path", [("createdb",), ("migrate",)], ids=" ".join)
def test_creating_or_migrating_as_a_wrong_role_is_one_line(
    path: tuple[str, ...], billing_in_process: InProcess
) -> None:
    failed = billing_in_process(*path, DATABASE_URL=WRONG_ROLE_URL)

    assert "billing_cli_nobody" in _one_line(failed)


def test_long_work_on_a_broken_database_is_one_line_too(
    empty_database_url: str, missing_database_url: str
) -> None:
    stripe = FakeStripeEnv(STRIPE_SECRET_KEY="sk_test_unused", STRIPE_API_BASE="http://127.0.0.1:1")
    unmigrated = billing("reconcile", DATABASE_URL=empty_database_url, **stripe)
    assert "run billing migrate" in _one_line(unmigrated)
    missing = billing("import", DATABASE_URL=missing_database_url, **stripe)
    assert "does not exist" in _one_line(missing)


@pytest.fixture
def work_for_redis(clean_db: Engine, inbox: Inbox, billing_in_process: InProcess) -> None:
    """A user whose entitlements a mapping change recomputes, a failed event, an endpoint."""
    create_project(clean_db)
    deliver(inbox, clean_db, subscription_event(T0, "active", metadata=owner_metadata("u1")))
    insert_event(clean_db, "evt_failed_1", status="failed")
    billing_in_process("endpoints", "add", "--project", "acme", "--url", "https://e.example/h")


REDIS_COMMANDS: list[list[str]] = [
    ["events", "retry", "--failed"],
    ["events", "retry", "--id", "evt_failed_1"],
    ["products", "map", "--project", "acme", "--product", "prod_pro", "--entitlement", "pro"],
    ["projects", "grace", "acme", "--past-due-days", "3"],
    ["endpoints", "test", "{endpoint}"],
]


@pytest.mark.parametrize("args", REDIS_COMMANDS, ids=" ".join)
def test_redis_down_is_one_line(
    args: list[str], work_for_redis: None, clean_db: Engine, billing_in_process: InProcess
) -> None:
    with clean_db.connect() as conn:
        endpoint = conn.execute(text("SELECT id FROM webhook_endpoints")).scalar_one()

    failed = billing_in_process(
        *(arg.format(endpoint=endpoint) for arg in args), REDIS_URL=CLOSED_REDIS_URL
    )

    assert "Redis" in _one_line(failed) or "queue" in failed.err


def test_a_role_without_a_grant_is_named() -> None:
    denied = sqlalchemy.exc.ProgrammingError(
        "SELECT 1", {}, psycopg.errors.InsufficientPrivilege("permission denied for table apps")
    )

    line = describe_store_error(denied)

    assert line == (
        "database: permission denied for table apps (the role of DATABASE_URL lacks a grant)"
    )


def test_a_password_in_an_error_message_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:{PASSWORD}@localhost:5432/db")
    parse_error = psycopg.ProgrammingError(f'unexpected spaces found in "{PASSWORD} x"')

    line = describe_store_error(parse_error)

    assert PASSWORD not in line and "***" in line


@pytest.mark.parametrize("args", [["events", "list"], ["--help"]], ids=" ".join)
def test_a_closed_stdout_is_silent(args: list[str], clean_db: Engine) -> None:
    """`billing events list | head -1` with the reader gone before the first write: the one case
    where the broken pipe surely happens, whatever the pipe's buffer holds."""
    insert_event(clean_db, "evt_pipe_1")
    listing = subprocess.Popen(
        [*BILLING, *args],
        env=process_env(),
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.close()

    with listing.stderr:
        err = listing.stderr.read().decode()

    assert listing.wait(timeout=60) == 141
    assert err == ""
