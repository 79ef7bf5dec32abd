"""Contract section 2: no event is lost when either store fails.

PostgreSQL down → 503 so that Stripe retries; Redis down → stored, 200, and the relay
enqueues it later (workers/relay.py)."""

from __future__ import annotations

import pytest

from shared.queue import create_broker, enqueue_event
from tests.support.envelopes import event_envelope, post_event
from tests.support.stores import (
    ADMIN_TOKEN,
    CLOSED_POSTGRES_URL,
    CLOSED_REDIS_URL,
    age_last_enqueue,
    event_row,
    insert_event,
    queued_event_ids,
)
from workers.relay import relay_stranded_events


def test_postgres_unreachable_answers_503_and_enqueues_nothing(ingress_factory, clean_redis):
    client = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL)
    response = post_event(client, event_envelope())
    assert response.status_code == 503
    assert "error" in response.json()
    assert queued_event_ids(clean_redis) == []


def test_redis_unreachable_still_stores_and_acknowledges(ingress_factory, clean_db, clean_redis):
    client = ingress_factory(REDIS_URL=CLOSED_REDIS_URL)
    event = event_envelope()
    response = post_event(client, event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "event_id": event["id"], "duplicate": False}
    assert event_row(clean_db, event["id"])["status"] == "received"
    assert queued_event_ids(clean_redis) == []


def test_relay_enqueues_an_event_stored_while_redis_was_down(
    ingress_factory, settings, clean_db, clean_redis
):
    client = ingress_factory(REDIS_URL=CLOSED_REDIS_URL)
    event = event_envelope()
    assert post_event(client, event).status_code == 200
    broker = create_broker(settings)  # Redis is back: the real one

    def relay() -> int:
        def enqueue(event_id: str) -> None:
            enqueue_event(broker, event_id)

        return relay_stranded_events(clean_db, enqueue, settings.relay_after_s)

    try:
        # Not yet: the event was (nominally) enqueued less than RELAY_AFTER_SECONDS ago.
        assert relay() == 0
        age_last_enqueue(clean_db, event["id"], settings.relay_after_s + 0.5)
        assert relay() == 1
        assert queued_event_ids(clean_redis) == [event["id"]]
        row = event_row(clean_db, event["id"])
        assert row["status"] == "received" and row["enqueue_count"] == 2
        # Backoff: after its 2nd enqueue the event waits 2 × RELAY_AFTER_SECONDS.
        assert relay() == 0
        age_last_enqueue(clean_db, event["id"], settings.relay_after_s * 1.5)
        assert relay() == 0
        assert queued_event_ids(clean_redis) == [event["id"]]
        age_last_enqueue(clean_db, event["id"], settings.relay_after_s * 2 + 0.5)
        assert relay() == 1
        assert queued_event_ids(clean_redis) == [event["id"], event["id"]]
    finally:
        broker.close()


def test_relay_leaves_handled_events_alone(settings, clean_db, clean_redis):
    for status in ("processed", "skipped", "failed"):
        insert_event(clean_db, f"evt_{status}", status=status)
        age_last_enqueue(clean_db, f"evt_{status}", 3600)
    sent: list[str] = []
    assert relay_stranded_events(clean_db, sent.append, settings.relay_after_s) == 0
    assert sent == []


def test_relay_that_cannot_enqueue_keeps_the_event_due(settings, clean_db):
    insert_event(clean_db, "evt_stranded")
    age_last_enqueue(clean_db, "evt_stranded", 10)

    def redis_down(event_id: str) -> None:
        raise ConnectionError("redis down")

    with pytest.raises(ConnectionError):
        relay_stranded_events(clean_db, redis_down, settings.relay_after_s)
    assert event_row(clean_db, "evt_stranded")["enqueue_count"] == 1
    sent: list[str] = []
    assert relay_stranded_events(clean_db, sent.append, settings.relay_after_s) == 1
    assert sent == ["evt_stranded"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/entitlements/project/acme/user/42",
        "/api/v1/metrics/project/acme/subscriptions",
        "/api/v1/metrics/project/acme/revenue",
        "/api/v1/admin/webhook-events/evt_1",
        "/api/v1/admin/webhook-events?status=failed",
    ],
)
def test_read_and_admin_api_answer_503_json_while_postgres_is_down(ingress_factory, path):
    client = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL)
    response = client.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 503
    assert response.json() == {"error": "database unavailable; retry later"}
