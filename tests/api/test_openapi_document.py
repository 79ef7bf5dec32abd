"""GET /api/v1/openapi.json documents exactly the routes the ingress serves."""

from __future__ import annotations

from starlette.routing import Route
from starlette.testclient import TestClient

from ingress.app import routes
from ingress.openapi import OPENAPI_DOCUMENT

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _served() -> set[tuple[str, str]]:
    """(path, method) of every Starlette route; HEAD is Starlette's automatic twin of GET."""
    return {
        (route.path, method.lower())
        for route in routes()
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }


def _documented(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    served, documented = _served(), _documented(OPENAPI_DOCUMENT)
    assert served - documented == set(), "routes missing from ingress/openapi.py"
    assert documented - served == set(), "documented operations no route serves"


def test_document_is_served_as_json_without_auth(ingress: TestClient) -> None:
    response = ingress.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert _documented(document) == _served()


def test_read_api_accepts_both_key_schemes_and_documents_its_errors() -> None:
    schemes = OPENAPI_DOCUMENT["components"]["securitySchemes"]
    assert schemes["appBearer"] == {**schemes["appBearer"], "type": "http", "scheme": "bearer"}
    assert schemes["appApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    paths = OPENAPI_DOCUMENT["paths"]
    for path in (
        "/api/v1/entitlements/project/{project_id}/user/{user_id}",
        "/api/v1/metrics/project/{project_id}/subscriptions",
        "/api/v1/metrics/project/{project_id}/revenue",
    ):
        operation = paths[path]["get"]
        assert operation["security"] == [{"appBearer": []}, {"appApiKey": []}]
        for status in ("401", "403"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}
    error = OPENAPI_DOCUMENT["components"]["schemas"]["Error"]
    assert error["properties"] == {"error": {"type": "string"}} and error["required"] == ["error"]


def test_webhook_documents_signature_header_and_every_answer() -> None:
    operation = OPENAPI_DOCUMENT["paths"]["/api/v1/webhooks/stripe"]["post"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "header"} == {
        "Stripe-Signature"
    }
    assert set(operation["responses"]) == {"200", "400", "413", "503"}
