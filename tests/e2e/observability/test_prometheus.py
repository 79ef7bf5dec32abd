"""CONTRACT section 12 over real processes: `GET /metrics` of `billing serve` and the exposition
of `billing worker` on WORKER_METRICS_PORT count what happened to a few signed webhooks."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import stripe_events as se
from tests.support import processes
from tests.support.envelopes import UNHANDLED_TYPE, event_envelope, post_event
from tests.support.scrape import label_values, sample, scrape
from tests.support.stores import ADMIN_HEADERS, event_row

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
TOKEN = "scrape-token-for-tests"
SETTLE_S = 60.0


@pytest.fixture
def service(
    env: dict[str, str], tmp_path: Path, project: str
) -> Iterator[tuple[str, str, processes.ServiceProcess]]:
    """Web and worker with METRICS_TOKEN set: (web URL, worker metrics URL, worker)."""
    env = {**env, "METRICS_TOKEN": TOKEN}
    web, base_url = processes.start_web(env, tmp_path)
    worker = processes.start_worker(env, tmp_path)
    worker_url = f"http://127.0.0.1:{env['WORKER_METRICS_PORT']}/metrics"
    try:
        processes.wait_until(
            lambda: _answers(worker_url), 30, "the worker's exposition", 0.1, worker
        )
        yield base_url, worker_url, worker
    finally:
        worker.stop()
        web.stop()


def test_metrics_count_webhooks_requests_and_processed_events_for_the_token_holder(
    service, clean_db
):
    base_url, worker_url, worker = service
    skipped = event_envelope(UNHANDLED_TYPE)
    created = se.subscription_event(
        se.T0, event_type=se.SUBSCRIPTION_CREATED, metadata=se.owner_metadata("u1")
    )
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert post_event(client, skipped).json()["duplicate"] is False
        assert post_event(client, skipped).json()["duplicate"] is True
        assert post_event(client, created).status_code == 200
        assert post_event(client, skipped, secret="whsec_wrong").status_code == 400
        detail = client.get(f"/api/v1/admin/webhook-events/{skipped['id']}", headers=ADMIN_HEADERS)
        assert detail.status_code == 200
    for event, status in ((skipped, "skipped"), (created, "processed")):
        _wait_for_status(clean_db, event["id"], status, worker)

    web = scrape(f"{base_url}/metrics", TOKEN)
    received = "billing_webhooks_received_total"
    assert sample(web, received, type=UNHANDLED_TYPE, outcome="new") == 1
    assert sample(web, received, type=UNHANDLED_TYPE, outcome="duplicate") == 1
    assert sample(web, received, type=se.SUBSCRIPTION_CREATED, outcome="new") == 1
    assert sample(web, received, type="unknown", outcome="rejected") == 1
    requests = "billing_http_requests_total"
    assert sample(web, requests, route="/api/v1/webhooks/stripe", status="200") == 3
    assert sample(web, requests, route="/api/v1/webhooks/stripe", status="400") == 1
    admin_route = "/api/v1/admin/webhook-events/{event_id}"
    assert sample(web, requests, route=admin_route, status="200") == 1
    assert sample(web, "billing_http_request_duration_seconds_count", route=admin_route) == 1
    assert skipped["id"] not in web  # route templates, never a raw id
    assert sample(web, "billing_events", status="processed") == 1
    assert sample(web, "billing_events", status="skipped") == 1
    assert sample(web, "billing_events", status="failed") == 0
    assert {"events", "events.DQ", "webhooks", "maintenance"} <= label_values(
        web, "billing_queue_depth", "queue"
    )

    work = scrape(worker_url, TOKEN)
    processed = "billing_events_processed_total"
    assert sample(work, processed, type=UNHANDLED_TYPE, status="skipped") == 1
    assert sample(work, processed, type=se.SUBSCRIPTION_CREATED, status="processed") == 1
    assert sample(work, "billing_event_lag_seconds_count") == 2
    assert sample(work, "billing_event_processing_seconds_count", type=UNHANDLED_TYPE) == 1
    assert sample(work, "dramatiq_messages_total", actor_name="process_webhook_event") >= 2
    # one exposition for both Dramatiq invocations (the event pool and the Stripe look-ups):
    # every process counts into the directory of the `billing worker` parent
    directory = Path(tempfile.gettempdir()) / f"billing-worker-metrics-{worker.popen.pid}"
    assert len(_counting_pids(directory)) >= 2

    for url in (f"{base_url}/metrics", worker_url):  # METRICS_TOKEN is set: 401 without it
        assert httpx.get(url, timeout=10).status_code == 401
        wrong = httpx.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401
        assert "metrics token" in wrong.json()["error"]


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.HTTPError:
        return False
    return True


def _wait_for_status(engine, event_id: str, status: str, worker) -> None:
    def settled() -> bool:
        row = event_row(engine, event_id)
        return row is not None and row["status"] == status

    processes.wait_until(settled, SETTLE_S, f"event {event_id} {status}", 0.1, worker)


def _counting_pids(directory: Path) -> set[str]:
    return {file.stem.rsplit("_", 1)[-1] for file in directory.glob("*.db")}
