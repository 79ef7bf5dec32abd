"""STRIPE_MODE: an event whose livemode does not match is stored and ends skipped, saying why,
so test purchases never grant live entitlements (CONTRACT section 2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine, text

from shared.db import webhook_events
from shared.settings import SettingsError, load_settings
from tests import stripe_events as se
from tests.support.stores import TEST_ENV
from workers.bootstrap import WorkerParts, build_worker_parts


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"STRIPE_SECRET_KEY": "sk_live_x"}, "live"),
        ({"STRIPE_SECRET_KEY": "rk_live_x"}, "live"),
        ({"STRIPE_SECRET_KEY": "sk_test_x"}, "test"),
        ({"STRIPE_SECRET_KEY": "rk_test_x"}, "test"),
        ({}, "both"),
        ({"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_MODE": "both"}, "both"),
        ({"STRIPE_MODE": "TEST"}, "test"),
    ],
)
def test_the_mode_comes_from_the_key_unless_set(env: dict[str, str], mode: str) -> None:
    assert load_settings(env).stripe_mode == mode


def test_an_unknown_mode_stops_the_process_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="STRIPE_MODE"):
        load_settings({"STRIPE_MODE": "prod"})


@pytest.fixture
def live_parts(clean_db: Engine, clean_redis: redis.Redis) -> Iterator[WorkerParts]:
    built = build_worker_parts(load_settings({**TEST_ENV, "STRIPE_MODE": "live"}))
    yield built
    built.engine.dispose()


def process(parts: WorkerParts, livemode: bool) -> tuple[str, str | None]:
    event = se.event("customer.created", se.customer("cus_1"), created=se.T0)
    event["livemode"] = livemode
    with parts.engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    parts.inbox.process(event["id"])
    with parts.engine.connect() as conn:
        row = conn.execute(
            text("SELECT status, error_message FROM webhook_events WHERE id = :id"),
            {"id": event["id"]},
        ).one()
    return row.status, row.error_message


def test_a_test_mode_event_on_a_live_deployment_is_stored_and_skipped_saying_why(
    live_parts: WorkerParts,
) -> None:
    assert process(live_parts, livemode=False) == (
        "skipped",
        "test-mode event; STRIPE_MODE=live",
    )
    assert process(live_parts, livemode=True) == ("skipped", None)  # no handler: plain skip


def test_a_test_mode_purchase_grants_nothing_on_a_live_deployment(
    live_parts: WorkerParts,
) -> None:
    with live_parts.engine.begin() as tx:
        tx.execute(text("INSERT INTO projects (id, name) VALUES ('acme', 'acme')"))
    event = se.subscription_event(se.T0)  # user u1 of acme, active
    event["livemode"] = False
    with live_parts.engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    live_parts.inbox.process(event["id"])
    with live_parts.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM entitlements")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM subscriptions")).scalar_one() == 0
