"""The real PostgreSQL and Redis of the tests: environment, cleaning, and what is in them."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import redis
from psycopg import sql
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shared.db import webhook_events
from shared.db.models import Base
from shared.prometheus.multiprocess import DRAMATIQ_DIR_VARIABLE, MULTIPROC_DIR_VARIABLE
from shared.queue import EVENTS_QUEUE, PROCESS_EVENT_ACTOR, PROCESS_EVENTS_ACTOR
from shared.settings import Settings, load_settings
from tests.support.processes import free_port
from tests.support.signing import WEBHOOK_SECRETS

T = TypeVar("T")

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql://postgres@localhost:5432/billing_test"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
ADMIN_TOKEN = "admin-token-for-tests"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
CLOSED_POSTGRES_URL = "postgresql://postgres@127.0.0.1:1/x"
CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"
DRAMATIQ_NAMESPACE = "dramatiq"

# Every variable of the contract (and the service's own tuning knobs): cleared from the
# inherited environment so that a developer's shell never leaks into a test.
SERVICE_VARIABLES = [
    "DATABASE_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_TOLERANCE",
    "ADMIN_API_KEY",
    "RECONCILIATION_ENABLED",
    "RECONCILIATION_SCHEDULE_HOUR",
    "RECONCILIATION_DAYS_BACK",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "STRIPE_MODE",
    "METRICS_TOKEN",
    "WORKER_METRICS_PORT",
    "WEBHOOK_ENDPOINTS_ALLOW_HTTP",
    "EVENT_MAX_RETRIES",
    "EVENT_MIN_BACKOFF_MS",
    "EVENT_MAX_BACKOFF_MS",
    "RELAY_AFTER_SECONDS",
    "METRICS_TOKEN",
    "WORKER_METRICS_PORT",
]
# Where a parent process tells its children to count (shared/prometheus/multiprocess.py).
INHERITED_ONLY = [MULTIPROC_DIR_VARIABLE, DRAMATIQ_DIR_VARIABLE]

TEST_ENV: dict[str, str] = {
    "DATABASE_URL": TEST_DATABASE_URL,
    "REDIS_URL": TEST_REDIS_URL,
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRETS,
    "ADMIN_API_KEY": ADMIN_TOKEN,
    "EVENT_MAX_RETRIES": "2",
    "EVENT_MIN_BACKOFF_MS": "100",
    "EVENT_MAX_BACKOFF_MS": "200",
    "RELAY_AFTER_SECONDS": "1",
    "RECONCILIATION_ENABLED": "false",
    "LOG_FORMAT": "json",
}


def settings_for(**overrides: str) -> Settings:
    return load_settings({**TEST_ENV, **overrides})


def process_env(**overrides: str) -> dict[str, str]:
    """Subprocess environment: the inherited one minus the service's variables, plus the tests'
    (and a free port for a worker's metrics, so workers of tests run at once never collide)."""
    cleared = {*SERVICE_VARIABLES, *INHERITED_ONLY}
    base = {k: v for k, v in os.environ.items() if k not in cleared}
    return {**base, **TEST_ENV, "WORKER_METRICS_PORT": str(free_port()), **overrides}


# --- PostgreSQL -----------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(name: str, create: bool = True) -> Iterator[str]:
    """The SQLAlchemy URL of database `name` beside the test one: empty (or, without `create`,
    absent) on entry, dropped on exit."""
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(drop)
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(drop)


def truncate_all_tables(engine: Engine) -> None:
    """Empty every table of the models that exists in the database (processes share no txn)."""
    with engine.begin() as tx:
        existing = set(
            tx.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        names = [t.name for t in Base.metadata.sorted_tables if t.name in existing]
        if names:
            tx.execute(text("SET LOCAL lock_timeout = '10s'"))
            quoted = ", ".join(f'"{name}"' for name in names)
            tx.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


def stored_event_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM webhook_events ORDER BY id")).scalars())


def event_row(engine: Engine, event_id: str) -> dict[str, Any]:
    """The stored event's row; fails the test when there is none."""
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM webhook_events WHERE id = :id"), {"id": event_id})
            .mappings()
            .one_or_none()
        )
    assert row is not None, f"no event {event_id} stored"
    return dict(row)


def store_event(engine: Engine, event: dict[str, Any]) -> str:
    """Store an event as the ingress does (an id already there is kept); returns its id."""
    with engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    return str(event["id"])


def insert_event(
    engine: Engine,
    event_id: str,
    event_type: str = "customer.created",
    status: str = "received",
    age_days: int = 0,
    age_hours: int = 0,
) -> None:
    """Store a bare event, as if the workers had left it `status`, received `age_days` and
    `age_hours` ago."""
    store_event(engine, {"id": event_id, "type": event_type, "created": 1_700_000_000})
    with engine.begin() as tx:
        tx.execute(
            text(
                """UPDATE webhook_events
                   SET status = :status,
                       received_at = now() - make_interval(days => :age, hours => :hours)
                   WHERE id = :id"""
            ),
            {"id": event_id, "status": status, "age": age_days, "hours": age_hours},
        )


def set_event_status(engine: Engine, event_id: str, status: str) -> None:
    with engine.begin() as tx:
        tx.execute(
            text("UPDATE webhook_events SET status = :status WHERE id = :id"),
            {"id": event_id, "status": status},
        )


def fail_event(engine: Engine, event_id: str, error: str, attempts: int = 3) -> None:
    """As if every try of the stored event had failed with `error` (a store outage, say)."""
    with engine.begin() as tx:
        tx.execute(
            text(
                """UPDATE webhook_events SET status = 'failed', attempts = :attempts,
                          error_message = :error WHERE id = :id"""
            ),
            {"id": event_id, "attempts": attempts, "error": error},
        )


def age_last_enqueue(engine: Engine, event_id: str, seconds: float) -> None:
    """As if the event had last been enqueued `seconds` ago (what the relay looks at)."""
    with engine.begin() as tx:
        tx.execute(
            text(
                """UPDATE webhook_events SET enqueued_at = now() - make_interval(secs => :s)
                   WHERE id = :id"""
            ),
            {"s": seconds, "id": event_id},
        )


def run_db(settings: Settings, work: Callable[[Connection], T]) -> T:
    """Run one job in a committed transaction (shared/tenants.py functions take a connection)."""
    engine = create_engine(settings.sync_database_url, poolclass=NullPool)
    try:
        with engine.begin() as tx:
            return work(tx)
    finally:
        engine.dispose()


# --- Redis (Dramatiq's queue) ---------------------------------------------------------------


def queued_messages(client: redis.Redis, queue_name: str = EVENTS_QUEUE) -> list[dict[str, Any]]:
    """Every message Dramatiq holds for `queue_name`, waiting or delayed (`<ns>:<q>[.DQ].msgs`)."""
    messages = []
    for name in (queue_name, f"{queue_name}.DQ"):
        for raw in client.hvals(f"{DRAMATIQ_NAMESPACE}:{name}.msgs"):
            messages.append(json.loads(raw))
    return messages


def queued_event_ids(
    client: redis.Redis, settle_s: float = 0.2, timeout_s: float = 3.0
) -> list[str]:
    """Ids of the webhook events waiting on the events queue, one entry per time queued (an id
    queued twice is there twice), whether alone or in a message of several ids: the ingress
    puts every id waiting at that moment in one message, so how they group depends on timing.

    The ingress enqueues from a background thread after answering, so the queue is read until
    it has not changed for `settle_s` (at most `timeout_s`)."""

    def read() -> list[str]:
        ids: list[str] = []
        for message in queued_messages(client):
            if message["actor_name"] == PROCESS_EVENT_ACTOR:
                ids.append(message["args"][0])
            elif message["actor_name"] == PROCESS_EVENTS_ACTOR:
                ids.extend(message["args"][0])
        return sorted(ids)

    deadline = time.monotonic() + timeout_s
    seen, stable_since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = read()
        if now != seen:
            seen, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= settle_s:
            break
    return seen
