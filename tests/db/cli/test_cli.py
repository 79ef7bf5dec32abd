"""Contract section 6: the operator commands, run as `billing …` subprocesses."""

from __future__ import annotations

import hashlib
import socket

import pytest
from sqlalchemy import text

from tests.support.cli import billing
from tests.support.processes import free_port
from tests.support.stores import event_row, insert_event, queued_event_ids, stored_event_ids


def _apps(engine) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(r) for r in conn.execute(text("SELECT * FROM apps ORDER BY created_at")).mappings()
        ]


def test_projects_create_and_list(clean_db):
    created = billing("projects", "create", "acme", "--name", "Acme Inc")
    assert created.code == 0, created.err
    assert "acme" in created.out
    listed = billing("projects", "list")
    assert listed.code == 0, listed.err
    assert "acme" in listed.out and "Acme Inc" in listed.out


@pytest.mark.parametrize("bad_id", ["Acme", "_acme", "a" * 65])
def test_projects_create_refuses_an_invalid_id(clean_db, bad_id):
    result = billing("projects", "create", bad_id)
    assert result.code == 1
    assert "invalid project id" in result.err and "a-z" in result.err
    assert "Traceback" not in result.err
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar_one() == 0


def test_projects_create_refuses_an_existing_id(clean_db):
    assert billing("projects", "create", "acme").code == 0
    again = billing("projects", "create", "acme")
    assert again.code == 1 and "already exists" in again.err


def test_apps_create_prints_the_key_alone_on_the_last_line_and_stores_only_its_hash(clean_db):
    assert billing("projects", "create", "acme").code == 0
    result = billing("apps", "create", "--project", "acme", "--name", "ios")
    assert result.code == 0, result.err
    key = result.last_line
    assert key == key.strip() and " " not in key and len(key) >= 43  # ≥ 32 random bytes
    [app] = _apps(clean_db)
    assert app["project_id"] == "acme" and app["name"] == "ios" and app["active"] is True
    assert app["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in app.values()}


def test_apps_create_for_an_unknown_project_is_refused(clean_db):
    result = billing("apps", "create", "--project", "nope")
    assert result.code == 1 and "nope" in result.err
    assert _apps(clean_db) == []


def test_apps_list_shows_apps_but_never_keys_and_revoke_deactivates(clean_db):
    assert billing("projects", "create", "acme").code == 0
    key = billing("apps", "create", "--project", "acme", "--name", "web").last_line
    [app] = _apps(clean_db)
    listed = billing("apps", "list", "--project", "acme")
    assert listed.code == 0, listed.err
    assert app["id"] in listed.out and "web" in listed.out and "active" in listed.out
    assert key not in listed.out
    revoked = billing("apps", "revoke", app["id"])
    assert revoked.code == 0, revoked.err
    [app] = _apps(clean_db)
    assert app["active"] is False and app["revoked_at"] is not None
    assert "revoked" in billing("apps", "list", "--project", "acme").out
    unknown = billing("apps", "revoke", "app_nope")
    assert unknown.code == 1 and "app_nope" in unknown.err


def test_events_list_filters_by_status(clean_db):
    insert_event(clean_db, "evt_failed_1", status="failed")
    insert_event(clean_db, "evt_done_1", status="processed")
    everything = billing("events", "list")
    assert everything.code == 0, everything.err
    assert "evt_failed_1" in everything.out and "evt_done_1" in everything.out
    failed = billing("events", "list", "--status", "failed", "--limit", "10")
    assert "evt_failed_1" in failed.out and "evt_done_1" not in failed.out


def test_events_retry_one_requeues_it(clean_db, clean_redis):
    insert_event(clean_db, "evt_failed_1", status="failed")
    result = billing("events", "retry", "--id", "evt_failed_1")
    assert result.code == 0, result.err
    assert event_row(clean_db, "evt_failed_1")["status"] == "received"
    assert queued_event_ids(clean_redis) == ["evt_failed_1"]
    unknown = billing("events", "retry", "--id", "evt_nope")
    assert unknown.code == 1 and "evt_nope" in unknown.err


def test_events_retry_failed_requeues_every_failed_event(clean_db, clean_redis):
    for event_id, status in [("evt_f1", "failed"), ("evt_f2", "failed"), ("evt_ok", "processed")]:
        insert_event(clean_db, event_id, status=status)
    result = billing("events", "retry", "--failed")
    assert result.code == 0, result.err
    assert "2" in result.out
    assert queued_event_ids(clean_redis) == ["evt_f1", "evt_f2"]
    assert event_row(clean_db, "evt_ok")["status"] == "processed"


def test_events_prune_never_removes_failed_or_unhandled_events(clean_db):
    for status in ("processed", "skipped", "failed", "received"):
        insert_event(clean_db, f"evt_old_{status}", status=status, age_days=10)
    insert_event(clean_db, "evt_new_processed", status="processed", age_days=0)
    result = billing("events", "prune", "--older-than-days", "5")
    assert result.code == 0, result.err
    assert stored_event_ids(clean_db) == sorted(
        ["evt_old_failed", "evt_old_received", "evt_new_processed"]
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RECONCILIATION_SCHEDULE_HOUR", "25"),
        ("DATABASE_URL", "notaurl"),
        ("REDIS_URL", "localhost:6379"),
        ("EVENT_MAX_RETRIES", "many"),
    ],
)
def test_a_bad_setting_stops_the_command_naming_the_variable(variable, value):
    result = billing("projects", "list", **{variable: value})
    assert result.code != 0
    assert variable in result.err
    assert "Traceback" not in result.err


def test_worker_with_a_bad_setting_refuses_to_start():
    result = billing("worker", RECONCILIATION_SCHEDULE_HOUR="25")
    assert result.code != 0 and "RECONCILIATION_SCHEDULE_HOUR" in result.err


@pytest.mark.parametrize("port", ["0", "70000", "metrics"])
def test_worker_with_a_bad_metrics_port_refuses_to_start(port):
    result = billing("worker", WORKER_METRICS_PORT=port)
    assert result.code == 2 and "WORKER_METRICS_PORT" in result.err
    assert "Traceback" not in result.err


def test_worker_whose_metrics_port_is_taken_refuses_to_start(clean_db):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = billing("worker", WORKER_METRICS_PORT=port)
    assert result.code == 2
    assert f"WORKER_METRICS_PORT={port} cannot be bound" in result.err
    assert "Traceback" not in result.err


def test_serve_without_a_webhook_secret_refuses_to_start():
    result = billing("serve", "--port", str(free_port()), STRIPE_WEBHOOK_SECRET="")
    assert result.code != 0
    assert "STRIPE_WEBHOOK_SECRET" in result.err
    assert "Traceback" not in result.err


def test_help_of_the_billing_command():
    result = billing("--help")
    assert result.code == 0
    for command in ("migrate", "serve", "worker", "scheduler", "projects", "apps", "events"):
        assert command in result.out


def test_serve_help_names_its_options():
    result = billing("serve", "--help")
    assert result.code == 0
    for option in ("--host", "--port", "--workers"):
        assert option in result.out
