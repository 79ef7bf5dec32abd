"""Contract section 2: every refused webhook answers 400/413 with {"error": …}, and nothing
is stored or enqueued."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.envelopes import WEBHOOK_PATH, event_envelope, post_event
from tests.support.signing import SECRET_A, sign
from tests.support.stores import queued_event_ids, stored_event_ids

ONE_MIB = 1024 * 1024


@pytest.fixture
def assert_refused(clean_db, clean_redis):
    def check(response, status: int = 400, mentions: str | None = None) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
        if mentions:
            assert mentions in body["error"].lower()
        assert stored_event_ids(clean_db) == []
        assert queued_event_ids(clean_redis) == []

    return check


def test_missing_signature_header_is_refused(ingress, assert_refused):
    body = json.dumps(event_envelope())
    response = ingress.post(WEBHOOK_PATH, content=body)
    assert_refused(response, mentions="missing stripe-signature")


@pytest.mark.parametrize(
    "header",
    ["garbage", "t=notanumber,v1=abc", "v1=abc", "t=1700000000", "t=,v1=", "v0=abc,t=1"],
)
def test_malformed_signature_header_is_refused(ingress, assert_refused, header):
    body = json.dumps(event_envelope())
    response = ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
    assert_refused(response, mentions="malformed")


def test_signature_with_an_unknown_secret_is_refused(ingress, assert_refused):
    response = post_event(ingress, event_envelope(), secret="whsec_someone_else")
    assert_refused(response, mentions="no signature matches")


def test_signature_of_another_body_is_refused(ingress, assert_refused):
    body = json.dumps(event_envelope())
    header = sign(json.dumps(event_envelope()), SECRET_A)
    response = ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
    assert_refused(response, mentions="no signature matches")


def test_timestamp_older_than_tolerance_is_refused(ingress, assert_refused):
    response = post_event(ingress, event_envelope(), timestamp=int(time.time()) - 301 - 60)
    assert_refused(response, mentions="tolerance")


def test_timestamp_too_far_in_the_future_is_refused(ingress, assert_refused):
    response = post_event(ingress, event_envelope(), timestamp=int(time.time()) + 301 + 60)
    assert_refused(response, mentions="tolerance")


def test_old_timestamp_signed_with_the_second_secret_is_refused_as_stale(ingress, assert_refused):
    response = post_event(ingress, event_envelope(), secret="whsec_test_b", timestamp=1_000_000)
    assert_refused(response, mentions="tolerance")


def test_header_with_unparsable_second_timestamp_is_refused(ingress, assert_refused):
    body = json.dumps(event_envelope())
    header = sign(body) + ",t=soon"
    response = ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
    assert_refused(response)


@pytest.mark.parametrize("body", ["{not json", "", "\x00", '{"id": "evt_1", '])
def test_body_that_is_not_json_is_refused(ingress, assert_refused, body):
    response = post_event(ingress, body)
    assert_refused(response, mentions="json")


def test_body_that_is_not_utf8_is_refused(ingress, assert_refused):
    body = b'{"id": "evt_\xff"}'
    header = sign(body.decode("latin-1"))
    response = ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
    assert_refused(response)


@pytest.mark.parametrize("body", ["[]", "[1, 2]", '"evt_1"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_refused(ingress, assert_refused, body):
    response = post_event(ingress, body)
    assert_refused(response, mentions="json object")


@pytest.mark.parametrize("bad_id", [None, 42, "", ["evt_1"], {"id": "evt_1"}, True])
def test_event_without_a_string_id_is_refused(ingress, assert_refused, bad_id):
    event = event_envelope()
    if bad_id is None:
        del event["id"]
    else:
        event["id"] = bad_id
    assert_refused(post_event(ingress, event), mentions="'id'")


@pytest.mark.parametrize("bad_type", [None, 7, "", ["customer.created"], False])
def test_event_without_a_string_type_is_refused(ingress, assert_refused, bad_type):
    event = event_envelope()
    if bad_type is None:
        del event["type"]
    else:
        event["type"] = bad_type
    assert_refused(post_event(ingress, event), mentions="'type'")


@pytest.mark.parametrize(
    "bad_created", [None, True, False, 1700000000.0, 1700000000.5, "1700000000", [1], {}]
)
def test_event_without_an_integer_created_is_refused(ingress, assert_refused, bad_created):
    event = event_envelope()
    if bad_created is None:
        del event["created"]
    else:
        event["created"] = bad_created
    assert_refused(post_event(ingress, event), mentions="'created'")


def test_created_too_large_for_the_database_is_refused(ingress, assert_refused):
    assert_refused(post_event(ingress, event_envelope(created=2**70)))


def test_payload_postgres_cannot_store_as_json_is_refused(ingress, assert_refused):
    # jsonb refuses the NUL character, which JSON itself allows.
    body = json.dumps(event_envelope(description="nul \u0000 inside"))
    assert_refused(post_event(ingress, body), mentions="json")


def test_body_over_one_mib_is_refused_with_413(ingress, assert_refused):
    event = event_envelope(padding="x" * ONE_MIB)
    assert_refused(post_event(ingress, event), status=413)


def test_body_over_one_mib_without_content_length_is_refused_with_413(ingress, assert_refused):
    body = json.dumps(event_envelope(padding="x" * ONE_MIB)).encode()
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    response = ingress.post(WEBHOOK_PATH, content=chunks, headers={"Stripe-Signature": sign(body)})
    assert "content-length" not in response.request.headers
    assert_refused(response, status=413)


def test_body_of_exactly_one_mib_is_accepted(ingress, clean_db):
    event = event_envelope(padding="")
    overhead = len(json.dumps(event).encode())
    event["padding"] = "x" * (ONE_MIB - overhead)
    response = post_event(ingress, event)
    assert response.status_code == 200, response.text
    assert stored_event_ids(clean_db) == [event["id"]]
