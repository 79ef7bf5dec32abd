"""Hostile input gets a 4xx, never a 5xx, and stores nothing (issue 11's five bugs)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.support.signing import sign
from tests.support.stores import ADMIN_TOKEN, stored_event_ids

WEBHOOK = "/api/v1/webhooks/stripe"


def event_body(**overrides: object) -> str:
    event = {"id": "evt_hostile", "object": "event", "type": "customer.created",
             "created": int(time.time()), "data": {"object": {"id": "cus_1"}}}  # fmt: skip
    event.update(overrides)
    return json.dumps(event)


def post(client: TestClient, body: str | bytes, signature: str | bytes) -> int:
    answer = client.post(WEBHOOK, content=body, headers={"Stripe-Signature": signature})
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]
    return answer.status_code


@pytest.mark.parametrize(
    "signature",
    [
        "t=1,v1=\xe9".encode("latin-1"),
        "t=1,v1=é".encode(),
        "t=" + "1" * 10 + ",v1=" + "ab" * 32 + ",v1=" * 4000,
    ],
    ids=["latin1-e-acute", "utf8-e-acute", "thousands-of-v1"],
)
def test_a_non_ascii_or_absurd_signature_header_is_400(
    ingress: TestClient, clean_db: Engine, signature: str | bytes
) -> None:
    assert post(ingress, event_body(), signature) == 400
    assert stored_event_ids(clean_db) == []


def test_a_valid_signature_with_bytes_appended_is_400(
    ingress: TestClient, clean_db: Engine
) -> None:
    body = event_body()
    assert post(ingress, body, (sign(body) + "é").encode()) == 400
    assert stored_event_ids(clean_db) == []


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_deeply_nested_json_validly_signed_is_400(
    ingress: TestClient, clean_db: Engine, depth: int
) -> None:
    body = event_body(data={"object": "DEEP"}).replace('"DEEP"', "[" * depth + "]" * depth)
    assert post(ingress, body, sign(body)) == 400
    assert stored_event_ids(clean_db) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"id": "evt_" + "x" * 8192},
        {"type": "t" * 8192},
        {"id": "evt_\x00nul"},
        {"api_version": "v" * 1000},
        {"created": 10**30},
        {"created": -1},
    ],
    ids=["8KiB-id", "8KiB-type", "nul-in-id", "long-api-version", "huge-created", "negative"],
)
def test_oversized_or_unstorable_envelope_fields_validly_signed_are_400(
    ingress: TestClient, clean_db: Engine, overrides: dict[str, object]
) -> None:
    body = event_body(**overrides)
    assert post(ingress, body, sign(body)) == 400
    assert stored_event_ids(clean_db) == []


def test_nan_and_nul_in_the_payload_are_400(ingress: TestClient, clean_db: Engine) -> None:
    for body in (event_body().replace('"cus_1"', "NaN"), event_body(note="a\u0000b")):
        assert post(ingress, body, sign(body)) == 400
    assert stored_event_ids(clean_db) == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/webhook-events/%00",
        "/api/v1/admin/webhook-events/evt_%00/retry",
        "/api/v1/entitlements/project/acme/user/%00",
        "/api/v1/admin/customers/cus_%00",
        "/api/v1/admin/webhook-events?status=%00",
    ],
)
def test_nul_bytes_in_a_path_or_parameter_are_400_not_an_outage(
    ingress_factory, clean_db: Engine, path: str
) -> None:
    client = ingress_factory(ADMIN_API_KEY=ADMIN_TOKEN)
    method = "POST" if path.endswith("/retry") else "GET"
    answer = client.request(method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert answer.status_code == 400
    assert "NUL" in answer.json()["error"]
