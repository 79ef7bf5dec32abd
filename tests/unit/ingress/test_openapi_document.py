"""GET /api/v1/openapi.json documents exactly the routes the ingress serves."""

from __future__ import annotations

from ingress.openapi import OPENAPI_DOCUMENT
from tests.support.openapi import documented_operations, served_operations


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    served, documented = served_operations(), documented_operations(OPENAPI_DOCUMENT)
    assert served - documented == set(), "routes missing from ingress/openapi.py"
    assert documented - served == set(), "documented operations no route serves"


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
    assert set(operation["responses"]) == {"200", "400", "413", "500", "503"}


def test_every_operation_has_a_unique_id_a_tag_and_its_500():
    ids = []
    for path, item in OPENAPI_DOCUMENT["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            assert operation["tags"], (method, path)
            assert "500" in operation["responses"], (method, path)
            if path not in ("/health", "/live", "/api/v1/openapi.json", "/api/v1/docs", "/metrics"):
                assert "503" in operation["responses"], (method, path)
    assert len(ids) == len(set(ids))
    declared = {tag["name"] for tag in OPENAPI_DOCUMENT["tags"]}
    used = {
        t for item in OPENAPI_DOCUMENT["paths"].values() for op in item.values() for t in op["tags"]
    }
    assert used <= declared
