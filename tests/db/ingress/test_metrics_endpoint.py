"""CONTRACT section 12 on the in-process ingress: GET /metrics, its token, its gauges read at
scrape time, and the webhook's outcomes as they are decided (a store down included)."""

from __future__ import annotations

import json

from tests.support.envelopes import UNHANDLED_TYPE, event_envelope, post_event
from tests.support.processes import wait_until
from tests.support.scrape import sample
from tests.support.stores import CLOSED_POSTGRES_URL, CLOSED_REDIS_URL

RECEIVED = "billing_webhooks_received_total"


def scrape(client, token: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def test_metrics_are_open_without_a_token(ingress, clean_db, clean_redis):
    text = scrape(ingress)
    assert "billing_http_requests_total" in text
    assert sample(text, "billing_events", status="received") == 0
    assert sample(text, "billing_queue_depth", queue="events") == 0


def test_a_token_is_required_once_set(ingress_factory, clean_db):
    client = ingress_factory(METRICS_TOKEN="s3cret")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "error": "missing or wrong metrics token: send Authorization: Bearer <token>"
        }
    assert "billing_events" in scrape(client, "s3cret")


def test_gauges_count_stored_events_and_queued_messages(ingress, clean_db, clean_redis):
    for _ in range(3):
        assert post_event(ingress, event_envelope()).status_code == 200
    text = scrape(ingress)
    assert sample(text, "billing_events", status="received") == 3
    assert sample(text, "billing_events", status="processed") == 0

    def queued() -> float:  # the enqueue runs beside the request, a moment after its answer
        return sample(scrape(ingress), "billing_queue_depth", queue="events")

    # one message per event, or one for several (a group commit's ids)
    assert 1 <= wait_until(queued, 5, "a message on the events queue") <= 3


def test_webhook_outcomes_as_decided(ingress, clean_db, clean_redis):
    before = scrape(ingress)
    event = event_envelope()
    post_event(ingress, event)
    post_event(ingress, event)
    post_event(ingress, event, secret="whsec_wrong")
    post_event(ingress, b"{not json")
    # signed, so its type is known; then refused by PostgreSQL's jsonb (a NUL character)
    post_event(ingress, json.dumps(event_envelope("invoice.paid", description="nul \u0000")))
    after = scrape(ingress)

    def moved(**labels: str) -> float:
        return sample(after, RECEIVED, **labels) - sample(before, RECEIVED, **labels)

    assert moved(type=UNHANDLED_TYPE, outcome="new") == 1
    assert moved(type=UNHANDLED_TYPE, outcome="duplicate") == 1
    assert moved(type="unknown", outcome="rejected") == 2
    assert moved(type="invoice.paid", outcome="rejected") == 1


def test_a_database_down_counts_unavailable_and_still_scrapes(ingress_factory, clean_redis):
    client = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL, REDIS_URL=CLOSED_REDIS_URL)
    before = scrape(client)
    assert post_event(client, event_envelope()).status_code == 503
    after = scrape(client)  # 200 all the same, without the gauges of the stores it cannot read
    labels = {"type": UNHANDLED_TYPE, "outcome": "unavailable"}
    assert sample(after, RECEIVED, **labels) - sample(before, RECEIVED, **labels) == 1
    assert "billing_events{" not in after and "billing_queue_depth{" not in after


def test_routes_are_counted_by_template_never_by_path(ingress, clean_db):
    path_id = "evt_never_a_label_123"
    assert ingress.get(f"/api/v1/admin/webhook-events/{path_id}").status_code in (401, 404)
    assert ingress.get(f"/no/such/path/{path_id}").status_code == 404
    text = scrape(ingress)
    assert path_id not in text
    assert (
        sample(
            text,
            "billing_http_requests_total",
            route="/api/v1/admin/webhook-events/{event_id}",
            status="401",
        )
        >= 1
    )
    assert sample(text, "billing_http_requests_total", route="unmatched", status="404") >= 1
