"""Property: a stream of events delivered shuffled and with duplicates ends in exactly the state of
in-order processing: subscriptions, purchases, entitlements (and their cache) and metrics.

(a) in-process, many examples; (b) through a real Dramatiq worker with four threads, few examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from hypothesis import HealthCheck, given
from sqlalchemy import Engine

from shared.queue import create_broker, enqueue_event
from shared.settings import Settings
from tests.billing.helpers import (
    PROJECT,
    cached_entitlements,
    create_project,
    entitled_users,
    entitlements_of,
    map_product,
    project_metrics,
    rows,
    store_event,
    table_rows,
)
from tests.billing.streams import GHOST_PROJECT, Stream, delivered_streams
from tests.support.processes import BILLING, ServiceProcess, start_process, wait_until
from tests.support.stores import process_env, queued_messages, truncate_all_tables
from workers.inbox import Inbox

Json = dict[str, Any]
CACHE_KEYS = "billing:ent*"
SLOW_OK = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]


def reset(engine: Engine, cache: redis.Redis) -> None:
    """Empty tables and entitlement cache, but leave Dramatiq's keys to a running worker."""
    truncate_all_tables(engine)
    for key in cache.scan_iter(CACHE_KEYS):
        cache.delete(key)
    create_project(engine, PROJECT)
    map_product(engine, "prod_pro", "pro")
    map_product(engine, "prod_team", "pro")
    map_product(engine, "prod_team", "team")


def final_state(engine: Engine) -> Json:
    """What the workers derived, without bookkeeping that legitimately differs per delivery
    (update times, how many recomputes bumped a version)."""
    tables = ("customers", "subscriptions", "subscription_payments", "purchases", "entitlements")
    state: Json = {table: table_rows(engine, table) for table in tables}
    state["metrics"] = {p: project_metrics(engine, p) for p in (PROJECT, GHOST_PROJECT)}
    return state


def assert_cache_matches_database(engine: Engine, cache: redis.Redis) -> None:
    for project_id, user_id in entitled_users(engine):
        assert cached_entitlements(cache, user_id, project_id) == entitlements_of(
            engine, user_id, project_id
        ), (project_id, user_id)


def assert_model_prediction(engine: Engine, stream: Stream) -> None:
    """In-order processing itself gives what the generator predicted."""
    subscriptions = {
        r["id"]: (r["status"], r["deleted"]) for r in rows(engine, "SELECT * FROM subscriptions")
    }
    assert subscriptions == stream.expected_subscriptions
    purchases = {
        r["payment_intent_id"]: (r["status"], r["amount_refunded_minor"])
        for r in rows(engine, "SELECT * FROM purchases WHERE invoice_id IS NULL")
        if r["payment_intent_id"] in stream.expected_purchases
    }
    assert purchases == stream.expected_purchases


def process_in_order(inbox: Inbox, engine: Engine, cache: redis.Redis, stream: Stream) -> Json:
    reset(engine, cache)
    for event in stream.events:
        assert inbox.process(store_event(engine, event)) == "processed", event["type"]
    assert_model_prediction(engine, stream)
    assert_cache_matches_database(engine, cache)
    return final_state(engine)


# --- (a) in-process --------------------------------------------------------------------------


@hypothesis.settings(max_examples=40, deadline=None, suppress_health_check=SLOW_OK)
@given(case=delivered_streams())
def test_shuffled_and_duplicated_delivery_ends_in_the_in_order_state(
    inbox: Inbox, db_engine: Engine, redis_client: redis.Redis, case: tuple[Stream, list[Json]]
) -> None:
    stream, delivered = case
    expected = process_in_order(inbox, db_engine, redis_client, stream)
    reset(db_engine, redis_client)
    for event in delivered:
        store_event(db_engine, event)
        inbox.process(event["id"])
    assert final_state(db_engine) == expected
    assert_cache_matches_database(db_engine, redis_client)
    events = rows(db_engine, "SELECT status, attempts FROM webhook_events")
    assert {(e["status"], e["attempts"]) for e in events} == {("processed", 1)}


# --- (b) a real worker -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def threaded_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """`billing worker --processes 1 --threads 4` on the test stores; retries quick and many,
    so a deadlock between two threads is retried rather than spent."""
    env = process_env(EVENT_MAX_RETRIES="20", LOG_FORMAT="json")
    argv = [*BILLING, "worker", "--processes", "1", "--threads", "4"]
    proc = start_process("worker", argv, env, tmp_path_factory.mktemp("threaded-worker"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def event_broker(settings: Settings) -> Iterator[RedisBroker]:
    broker = create_broker(settings)
    yield broker
    broker.close()


def all_handled(engine: Engine, cache: redis.Redis) -> bool:
    statuses = {
        r["status"]: r["n"]
        for r in rows(engine, "SELECT status, count(*) AS n FROM webhook_events GROUP BY status")
    }
    failed = rows(engine, "SELECT id, error_message FROM webhook_events WHERE status = 'failed'")
    assert not failed, failed
    return set(statuses) <= {"processed"} and not queued_messages(cache)


@pytest.mark.e2e
@hypothesis.settings(max_examples=5, deadline=None, suppress_health_check=SLOW_OK)
@given(case=delivered_streams(max_users=4))
def test_real_worker_with_four_threads_ends_in_the_in_order_state(
    threaded_worker: ServiceProcess,
    event_broker: RedisBroker,
    inbox: Inbox,
    db_engine: Engine,
    redis_client: redis.Redis,
    case: tuple[Stream, list[Json]],
) -> None:
    stream, delivered = case
    expected = process_in_order(inbox, db_engine, redis_client, stream)
    reset(db_engine, redis_client)
    for event in delivered:
        store_event(db_engine, event)
    for event in delivered:
        enqueue_event(event_broker, event["id"])
    wait_until(
        lambda: all_handled(db_engine, redis_client),
        timeout_s=60,
        what=f"{len(delivered)} deliveries processed by the worker",
        interval_s=0.1,
        process=threaded_worker,
    )
    assert final_state(db_engine) == expected
    assert_cache_matches_database(db_engine, redis_client)
