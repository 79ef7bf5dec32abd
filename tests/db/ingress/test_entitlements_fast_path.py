"""The entitlements read called before Starlette (ingress/read_api/entitlements_fast_path.py):
every check and answer of the app's route, the cached entry answered as stored, one `request`
log line per read, and whatever else the app answers left to the app."""

from __future__ import annotations

import json

import pytest
import redis
from sqlalchemy import Engine
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from shared.cache import STORE_IF_NEWER, fill_args
from tests.support.state import create_app_key, create_project
from tests.support.stores import CLOSED_POSTGRES_URL, CLOSED_REDIS_URL

PATH = "/api/v1/entitlements/project/acme/user/{}"
GRANT = {
    "prod_pro": {
        "source": "subscription",
        "source_id": "sub_1",
        "product_id": "prod_pro",
        "expires_at": "2026-05-01T00:00:00Z",
    },
    "crédits": {"source": "purchase", "source_id": "pi_1", "product_id": "prod_é",
                "expires_at": None},
}  # fmt: skip


@pytest.fixture
def keys(clean_db: Engine, clean_redis: redis.Redis) -> dict[str, str]:
    create_project(clean_db, "acme")
    create_project(clean_db, "other")
    return {"acme": create_app_key(clean_db, "acme"), "other": create_app_key(clean_db, "other")}


def _cache(client: redis.Redis, user_id: str, version: int, grants: dict[str, object]) -> None:
    keys, args = fill_args(("acme", user_id), version, grants)
    assert client.eval(STORE_IF_NEWER, len(keys), *keys, *args) == 1


def _error(response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    return str(body["error"])


def test_a_cached_entry_is_answered_as_the_route_answered_it(ingress, keys, clean_redis):
    _cache(clean_redis, "u/é 1", 3, GRANT)
    response = ingress.get(PATH.format("u%2F%C3%A9%201"), headers={"X-API-Key": keys["acme"]})
    # not a route match: "/" decoded in a user id is a path separator, as in the app's router
    assert response.status_code == 404
    _cache(clean_redis, "é 1", 3, GRANT)
    response = ingress.get(PATH.format("%C3%A9%201"), headers={"X-API-Key": keys["acme"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.json() == {"project_id": "acme", "user_id": "é 1", "entitlements": GRANT}
    assert json.loads(response.content)["entitlements"] == json.loads(json.dumps(GRANT))


def test_a_miss_reads_postgresql_and_a_user_never_seen_gets_an_empty_map(ingress, keys):
    response = ingress.get(
        PATH.format("nobody"), headers={"Authorization": f"Bearer {keys['acme']}"}
    )
    assert response.status_code == 200
    assert response.json() == {"project_id": "acme", "user_id": "nobody", "entitlements": {}}


def test_every_key_check_answers_json(ingress, keys):
    assert "missing" in _error(ingress.get(PATH.format("u1")), 401)
    assert "unknown" in _error(ingress.get(PATH.format("u1"), headers={"X-API-Key": "nope"}), 401)
    other = ingress.get(PATH.format("u1"), headers={"X-API-Key": keys["other"]})
    assert "another project" in _error(other, 403)


def test_other_methods_and_nul_bytes_go_to_the_app(ingress, keys):
    headers = {"X-API-Key": keys["acme"]}
    post = ingress.post(PATH.format("u1"), headers=headers)
    assert "POST" in _error(post, 405)
    assert ingress.head(PATH.format("u1"), headers=headers).status_code == 200
    assert "NUL" in _error(ingress.get(PATH.format("u1") + "?x=%00", headers=headers), 400)
    assert "NUL" in _error(ingress.get(PATH.format("u%00"), headers=headers), 400)


def test_each_read_gets_its_request_line(ingress, keys):
    with capture_logs() as logs:
        ingress.get(PATH.format("u1"), headers={"X-API-Key": keys["acme"]})
        ingress.get(PATH.format("u1"))
    lines = [line for line in logs if line["event"] == "request"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", PATH.format("u1"), 200),
        ("GET", PATH.format("u1"), 401),
    ]
    assert all(line["duration_ms"] >= 0 for line in lines)


def test_postgresql_down_answers_503_json(ingress_factory, clean_redis):
    client: TestClient = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL)
    response = client.get(PATH.format("u1"), headers={"X-API-Key": "any"})
    assert "database unavailable" in _error(response, 503)


def test_redis_down_answers_from_postgresql(ingress_factory, keys):
    client: TestClient = ingress_factory(REDIS_URL=CLOSED_REDIS_URL)
    response = client.get(PATH.format("u1"), headers={"X-API-Key": keys["acme"]})
    assert response.status_code == 200
    assert response.json()["entitlements"] == {}
