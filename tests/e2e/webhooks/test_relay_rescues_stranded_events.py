"""End to end: an event stored while Redis was down reaches the worker through the real
`billing scheduler` → relay actor → events queue path."""

from __future__ import annotations

import pytest

from tests.support import processes
from tests.support.envelopes import UNHANDLED_TYPE, event_envelope, post_event
from tests.support.stores import (
    CLOSED_REDIS_URL,
    age_last_enqueue,
    event_row,
    queued_event_ids,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_event_stored_while_redis_was_down_is_processed_after_the_relay(
    ingress_factory, worker_process, clean_db, clean_redis, env, tmp_path
):
    event = event_envelope(UNHANDLED_TYPE)
    assert post_event(ingress_factory(REDIS_URL=CLOSED_REDIS_URL), event).status_code == 200
    assert queued_event_ids(clean_redis) == []
    age_last_enqueue(clean_db, event["id"], 3600)  # as if it had been stranded for a while
    scheduler = processes.start_scheduler(env, tmp_path)
    try:

        def skipped():
            row = event_row(clean_db, event["id"])
            return row if row["status"] == "skipped" else None

        row = processes.wait_until(skipped, 60, "the relayed event to be skipped", 0.1, scheduler)
    finally:
        scheduler.stop()
    assert row["enqueue_count"] == 2  # once by the ingress (failed), once by the relay
    assert row["attempts"] == 1
