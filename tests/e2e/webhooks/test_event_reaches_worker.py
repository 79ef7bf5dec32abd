"""End to end over real processes: `billing serve` (uvicorn) → Redis → `billing worker`
(Dramatiq) → the event's status in PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from tests.support import processes
from tests.support.envelopes import UNHANDLED_TYPE, event_envelope, post_event
from tests.support.failing_worker import ALWAYS_FAILS
from tests.support.stores import event_row

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
SETTLE_S = 60.0


def _status_becomes(engine, event_id: str, status: str, process) -> dict:
    def settled():
        row = event_row(engine, event_id)
        return row if row is not None and row["status"] == status else None

    return processes.wait_until(
        settled, SETTLE_S, f"event {event_id} to become {status}", 0.1, process
    )


def test_event_posted_over_http_is_picked_up_by_a_separate_worker(
    web_server, worker_process, clean_db
):
    event = event_envelope(UNHANDLED_TYPE)
    with httpx.Client(base_url=web_server, timeout=10) as client:
        response = post_event(client, event)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": True, "event_id": event["id"], "duplicate": False}
        assert post_event(client, event).json()["duplicate"] is True
        assert client.get("/ready").status_code == 200
    row = _status_becomes(clean_db, event["id"], "skipped", worker_process)
    assert row["attempts"] == 1
    assert row["processed_at"] is not None
    assert row["error_message"] is None


def test_event_whose_handler_always_fails_ends_failed_after_its_retries(
    web_server, clean_db, env, tmp_path, settings
):
    worker = processes.start_worker(env, tmp_path, module="tests.support.failing_worker")
    try:
        event = event_envelope(ALWAYS_FAILS)
        with httpx.Client(base_url=web_server, timeout=10) as client:
            assert post_event(client, event).status_code == 200
        row = _status_becomes(clean_db, event["id"], "failed", worker)
    finally:
        worker.stop()
    assert row["attempts"] == settings.event_max_retries + 1
    assert row["error_message"] == f"HandlerAlwaysFails: cannot handle {event['id']}"
    assert row["processed_at"] is None
