"""GET /api/v1/openapi.json serves the document, without auth, from the running app."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.support.openapi import documented_operations, served_operations


def test_document_is_served_as_json_without_auth(ingress: TestClient) -> None:
    response = ingress.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert documented_operations(document) == served_operations()


def test_docs_page_is_served_with_its_assets_from_the_service(ingress):
    page = ingress.get("/api/v1/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources), sources
    for source in sources:
        asset = ingress.get(source)
        assert asset.status_code == 200 and len(asset.content) > 1000, source
