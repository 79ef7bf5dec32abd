"""Property: a stream of events delivered shuffled and with duplicates ends in exactly the state of
in-order processing: subscriptions, purchases, entitlements (and their cache) and metrics.

In-process, many examples; tests/e2e/billing runs a few through a real worker with four threads.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import redis
from hypothesis import given
from sqlalchemy import Engine

from tests.support.in_order import (
    SLOW_OK,
    assert_cache_matches_database,
    final_state,
    process_in_order,
    reset,
)
from tests.support.state import rows
from tests.support.stores import store_event
from tests.support.streams import Stream, delivered_streams
from workers.inbox import Inbox

Json = dict[str, Any]


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
