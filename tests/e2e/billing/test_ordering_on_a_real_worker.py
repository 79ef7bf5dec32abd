"""Property: a stream of events delivered shuffled and with duplicates to a real Dramatiq worker
with four threads ends in exactly the state of in-order processing (few examples; the in-process
property with many is in tests/db/billing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import redis
from dramatiq.brokers.redis import RedisBroker
from hypothesis import given
from sqlalchemy import Engine

from shared.queue import create_broker, enqueue_event
from shared.settings import Settings
from tests.support.in_order import (
    SLOW_OK,
    assert_cache_matches_database,
    final_state,
    process_in_order,
    reset,
)
from tests.support.processes import BILLING, ServiceProcess, start_process, wait_until
from tests.support.state import rows
from tests.support.stores import process_env, queued_messages, store_event
from tests.support.streams import Stream, delivered_streams
from workers.inbox import Inbox

Json = dict[str, Any]


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
