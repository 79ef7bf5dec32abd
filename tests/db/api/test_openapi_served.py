"""GET /api/v1/openapi.json serves the document, without auth, from the running app."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.support.openapi import documented_operations, served_operations


def test_document_is_served_as_json_without_auth(ingress: TestClient) -> None:
    response = ingress.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert documented_operations(document) == served_operations()
