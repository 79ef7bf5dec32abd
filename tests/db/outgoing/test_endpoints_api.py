"""The admin API of outgoing webhooks: endpoints, deliveries, resend; bad URLs refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from shared.operations import endpoints
from tests.db.outgoing.conftest import PROJECT
from tests.support.stores import ADMIN_TOKEN
from workers.bootstrap import WorkerParts

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ENDPOINTS = f"/api/v1/admin/projects/{PROJECT}/endpoints"


@pytest.fixture
def client(ingress_factory: Callable[..., TestClient], parts: WorkerParts) -> TestClient:
    return ingress_factory()


def endpoint_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM webhook_endpoints")).scalar_one())


def test_add_shows_the_secret_once_and_list_never_again(
    client: TestClient, parts: WorkerParts
) -> None:
    added = client.post(ENDPOINTS, json={"url": "https://app.example/hooks"}, headers=ADMIN)

    assert added.status_code == 201
    body = added.json()
    assert body["url"] == "https://app.example/hooks" and body["id"].startswith("we_")
    assert body["secret"].startswith("whsec_")
    listed = client.get(ENDPOINTS, headers=ADMIN).json()["endpoints"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://app.example/hooks",  # http:// only with WEBHOOK_ENDPOINTS_ALLOW_HTTP=true
        "ftp://app.example/hooks",
        "https://",
        "https://user:pass@app.example/hooks",
        "https://app.example/ho oks",
        "app.example/hooks",
        "",
        "https://app.example/" + "a" * 3000,
        42,
        None,
    ],
)
def test_bad_urls_are_400_with_nothing_stored(
    client: TestClient, parts: WorkerParts, url: object
) -> None:
    answer = client.post(ENDPOINTS, json={"url": url}, headers=ADMIN)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert endpoint_count(parts.engine) == 0


def test_http_is_accepted_when_allowed(
    ingress_factory: Callable[..., TestClient], parts: WorkerParts
) -> None:
    client = ingress_factory(WEBHOOK_ENDPOINTS_ALLOW_HTTP="true")
    answer = client.post(ENDPOINTS, json={"url": "http://127.0.0.1:9/hooks"}, headers=ADMIN)
    assert answer.status_code == 201


def test_unknown_project_endpoint_and_delivery_are_404_and_no_token_401(
    client: TestClient, parts: WorkerParts
) -> None:
    url = {"url": "https://app.example/hooks"}
    unknown_project = client.post("/api/v1/admin/projects/nope/endpoints", json=url, headers=ADMIN)
    assert unknown_project.status_code == 404
    assert client.delete("/api/v1/admin/endpoints/we_nope", headers=ADMIN).status_code == 404
    deliveries = client.get("/api/v1/admin/endpoints/we_nope/deliveries", headers=ADMIN)
    assert deliveries.status_code == 404
    resend = client.post("/api/v1/admin/deliveries/dlv_nope/resend", headers=ADMIN)
    assert resend.status_code == 404
    assert client.post(ENDPOINTS, json=url).status_code == 401
    assert endpoint_count(parts.engine) == 0


def test_deliveries_list_filters_and_resend_makes_a_failed_delivery_pending(
    client: TestClient, parts: WorkerParts
) -> None:
    endpoint = client.post(ENDPOINTS, json={"url": "https://app.example/h"}, headers=ADMIN).json()
    queued = client.post(f"/api/v1/admin/endpoints/{endpoint['id']}/deliveries", headers=ADMIN)
    assert queued.status_code == 405  # listing is GET
    delivery_id = endpoints.send_test(parts.engine, lambda ids: None, endpoint["id"])
    with parts.engine.begin() as tx:
        tx.execute(text("UPDATE webhook_deliveries SET status = 'failed'"))
    path = f"/api/v1/admin/endpoints/{endpoint['id']}/deliveries"

    failed = client.get(path, params={"status": "failed"}, headers=ADMIN).json()["deliveries"]
    assert [(d["id"], d["type"]) for d in failed] == [(delivery_id, "webhook.test")]
    assert client.get(path, params={"status": "sent"}, headers=ADMIN).status_code == 400
    assert client.get(path, params={"limit": "0"}, headers=ADMIN).status_code == 400

    resent = client.post(f"/api/v1/admin/deliveries/{delivery_id}/resend", headers=ADMIN)
    assert resent.status_code == 202
    pending = client.get(path, params={"status": "pending"}, headers=ADMIN).json()["deliveries"]
    assert [d["id"] for d in pending] == [delivery_id]

    removed = client.delete(f"/api/v1/admin/endpoints/{endpoint['id']}", headers=ADMIN)
    assert removed.status_code == 204
    assert client.get(ENDPOINTS, headers=ADMIN).json()["endpoints"] == []
