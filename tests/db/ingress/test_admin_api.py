"""Contract section 6: the admin API over webhook events."""

from __future__ import annotations

import pytest

from tests.support.stores import ADMIN_TOKEN, event_row, insert_event, queued_event_ids

ADMIN = "/api/v1/admin/webhook-events"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ROUTES = [
    ("GET", f"{ADMIN}"),
    ("GET", f"{ADMIN}?status=failed&limit=100"),
    ("GET", f"{ADMIN}/evt_1"),
    ("POST", f"{ADMIN}/evt_1/retry"),
    ("POST", f"{ADMIN}/retry-failed"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_admin_api_does_not_exist_without_admin_api_key(ingress_factory, clean_db, method, path):
    insert_event(clean_db, "evt_1", status="failed")
    client = ingress_factory(ADMIN_API_KEY="")
    for headers in ({}, AUTH, {"Authorization": "Bearer "}):
        assert client.request(method, path, headers=headers).status_code == 404
    assert event_row(clean_db, "evt_1")["status"] == "failed"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_admin_api_refuses_a_missing_or_wrong_token(ingress, clean_db, method, path):
    insert_event(clean_db, "evt_1", status="failed")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
        response = ingress.request(method, path, headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"error"}
    assert event_row(clean_db, "evt_1")["status"] == "failed"


def test_get_one_event(ingress, clean_db):
    insert_event(clean_db, "evt_1", "invoice.paid", status="failed")
    response = ingress.get(f"{ADMIN}/evt_1", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "type", "status", "attempts", "error_message", "received_at", "processed_at"
    }  # fmt: skip
    assert body["id"] == "evt_1" and body["type"] == "invoice.paid"
    assert body["status"] == "failed" and body["attempts"] == 0
    assert body["received_at"] and body["processed_at"] is None


def test_get_an_unknown_event_is_404(ingress, clean_db):
    response = ingress.get(f"{ADMIN}/evt_never", headers=AUTH)
    assert response.status_code == 404 and "error" in response.json()


def test_list_events_by_status(ingress, clean_db):
    for event_id, status in [("evt_f1", "failed"), ("evt_f2", "failed"), ("evt_p", "processed")]:
        insert_event(clean_db, event_id, status=status)
    response = ingress.get(ADMIN, params={"status": "failed", "limit": "100"}, headers=AUTH)
    assert response.status_code == 200
    assert sorted(e["id"] for e in response.json()["events"]) == ["evt_f1", "evt_f2"]
    everything = ingress.get(ADMIN, headers=AUTH).json()["events"]
    assert len(everything) == 3
    limited = ingress.get(ADMIN, params={"limit": "1"}, headers=AUTH).json()["events"]
    assert len(limited) == 1


@pytest.mark.parametrize("query", [{"status": "done"}, {"limit": "0"}, {"limit": "x"}])
def test_list_refuses_bad_parameters(ingress, clean_db, query):
    response = ingress.get(ADMIN, params=query, headers=AUTH)
    assert response.status_code == 400 and "error" in response.json()


def test_retry_one_event(ingress, clean_db, clean_redis):
    insert_event(clean_db, "evt_1", status="failed")
    response = ingress.post(f"{ADMIN}/evt_1/retry", headers=AUTH)
    assert response.status_code == 202
    assert event_row(clean_db, "evt_1")["status"] == "received"
    assert queued_event_ids(clean_redis) == ["evt_1"]


def test_retry_an_unknown_event_is_404(ingress, clean_db, clean_redis):
    assert ingress.post(f"{ADMIN}/evt_never/retry", headers=AUTH).status_code == 404
    assert queued_event_ids(clean_redis) == []


def test_retry_a_processed_event_is_refused(ingress, clean_db, clean_redis):
    insert_event(clean_db, "evt_1", status="processed")
    response = ingress.post(f"{ADMIN}/evt_1/retry", headers=AUTH)
    assert response.status_code == 409 and "error" in response.json()
    assert event_row(clean_db, "evt_1")["status"] == "processed"
    assert queued_event_ids(clean_redis) == []


def test_retry_failed_requeues_every_failed_event(ingress, clean_db, clean_redis):
    for event_id, status in [("evt_f1", "failed"), ("evt_f2", "failed"), ("evt_s", "skipped")]:
        insert_event(clean_db, event_id, status=status)
    response = ingress.post(f"{ADMIN}/retry-failed", headers=AUTH)
    assert response.status_code == 202
    assert response.json() == {"requeued": 2}
    assert queued_event_ids(clean_redis) == ["evt_f1", "evt_f2"]
    assert event_row(clean_db, "evt_s")["status"] == "skipped"
    again = ingress.post(f"{ADMIN}/retry-failed", headers=AUTH)
    assert again.status_code == 202 and again.json() == {"requeued": 0}
