"""Contract section 5: /health and /live always, /ready names the failing store (the schema
checks are in tests/db/migrations/test_schema_checks.py)."""

from __future__ import annotations

from tests.support.stores import CLOSED_POSTGRES_URL, CLOSED_REDIS_URL


def test_health_and_live_answer_200(ingress_factory):
    client = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL, REDIS_URL=CLOSED_REDIS_URL)
    assert client.get("/health").status_code == 200
    assert client.get("/live").status_code == 200


def test_ready_when_postgres_and_redis_answer(ingress):
    response = ingress.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"postgres": True, "redis": True, "schema": True}


def test_not_ready_names_postgres_when_it_is_down(ingress_factory):
    response = ingress_factory(DATABASE_URL=CLOSED_POSTGRES_URL).get("/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["postgres"]
    assert response.json()["reasons"]["postgres"].startswith("unreachable")


def test_not_ready_names_redis_when_it_is_down(ingress_factory):
    response = ingress_factory(REDIS_URL=CLOSED_REDIS_URL).get("/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


def test_unknown_paths_and_methods_answer_json(ingress):
    for method, path, status in (
        ("GET", "/nope", 404),
        ("DELETE", "/health", 405),
        ("PUT", "/api/v1/webhooks/stripe", 405),
    ):
        response = ingress.request(method, path)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"error"}
    assert "POST" in ingress.request("PUT", "/api/v1/webhooks/stripe").headers["allow"]
