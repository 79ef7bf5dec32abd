"""The right answer for a stream of events (tests/support/streams.py): the state in-order
processing leaves, and the checks that another delivery of the same stream reached it."""

from __future__ import annotations

from typing import Any

import redis
from hypothesis import HealthCheck
from sqlalchemy import Engine

from tests.stripe_events import PROJECT
from tests.support.state import (
    cached_entitlements,
    create_project,
    entitled_users,
    entitlements_of,
    map_product,
    project_metrics,
    rows,
    table_rows,
)
from tests.support.stores import store_event, truncate_all_tables
from tests.support.streams import GHOST_PROJECT, Stream
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
    """The stream processed in order from emptied stores; the final state it leaves."""
    reset(engine, cache)
    for event in stream.events:
        assert inbox.process(store_event(engine, event)) == "processed", event["type"]
    assert_model_prediction(engine, stream)
    assert_cache_matches_database(engine, cache)
    return final_state(engine)
