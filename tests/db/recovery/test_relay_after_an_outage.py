"""After a Redis outage the relay sends, at once, every event enqueued while Redis was down:
their messages never reached it, and their per-event backoff must not make them wait."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text

from shared.db import webhook_events
from tests import stripe_events as se
from workers.relay import RelaySender, relay_stranded_events


def store(engine: Engine, event_id: str, enqueued_s_ago: float, enqueue_count: int = 1) -> None:
    event = se.event("customer.created", se.customer("cus_1"), created=se.T0, event_id=event_id)
    with engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
        tx.execute(
            text(
                """UPDATE webhook_events SET enqueued_at = now() - make_interval(secs => :ago),
                       enqueue_count = :n WHERE id = :id"""
            ),
            {"ago": enqueued_s_ago, "n": enqueue_count, "id": event_id},
        )


def test_events_enqueued_during_the_outage_are_relayed_at_once_and_no_others(
    clean_db: Engine,
) -> None:
    now = time.time()
    store(clean_db, "evt_before", enqueued_s_ago=50)  # before the outage, backoff not over
    store(clean_db, "evt_during", enqueued_s_ago=20, enqueue_count=3)  # a failed try doubled it
    store(clean_db, "evt_after", enqueued_s_ago=1)  # queued normally once Redis was back
    sent: list[str] = []

    count = relay_stranded_events(
        clean_db, sent.append, base_s=60, outage_from=now - 30, outage_to=now - 5
    )

    assert (count, sent) == (1, ["evt_during"])


def test_without_an_outage_the_backoff_applies(clean_db: Engine) -> None:
    store(clean_db, "evt_waiting", enqueued_s_ago=20)
    store(clean_db, "evt_stranded", enqueued_s_ago=70)
    sent: list[str] = []
    relay_stranded_events(clean_db, sent.append, base_s=60)
    assert sent == ["evt_stranded"]


def test_the_scheduler_asks_for_the_outage_window_once_redis_answers_again() -> None:
    calls: list[dict[str, float]] = []
    clock = iter([100.0, 130.0, 130.0, 130.0]).__next__
    redis_up = [False, True, True]

    def send(**outage: float) -> None:
        if not redis_up.pop(0):
            raise ConnectionError("Redis is down")
        calls.append(outage)

    relay = RelaySender(send, clock=clock)
    with pytest.raises(ConnectionError):
        relay()  # down at 100
    relay()  # back at 130: the window from before the outage was noticed
    relay()  # and then the plain relay again

    assert calls == [{"outage_from": 85.0, "outage_to": 130.0}, {}]
