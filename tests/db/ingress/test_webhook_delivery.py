"""Contract section 2: accepted events are stored once, enqueued once, acknowledged with 200."""

from __future__ import annotations

import json

from tests.support.envelopes import WEBHOOK_PATH, event_envelope, post_event
from tests.support.signing import SECRET_A, SECRET_B, sign
from tests.support.stores import event_row, queued_event_ids, stored_event_ids


def test_new_event_is_stored_enqueued_and_acknowledged(ingress, clean_db, clean_redis):
    event = event_envelope("customer.subscription.updated", livemode=True)
    response = post_event(ingress, event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "event_id": event["id"], "duplicate": False}
    row = event_row(clean_db, event["id"])
    assert row is not None
    assert row["type"] == "customer.subscription.updated"
    assert row["created"] == event["created"]
    assert row["api_version"] == event["api_version"]
    assert row["livemode"] is True
    assert row["status"] == "received"
    assert row["attempts"] == 0
    assert row["payload"] == event
    assert queued_event_ids(clean_redis) == [event["id"]]


def test_duplicate_delivery_is_stored_once(ingress, clean_db, clean_redis):
    event = event_envelope()
    first = post_event(ingress, event)
    again = dict(event, data={"object": {"id": "cus_changed"}})  # same id, other content
    second = post_event(ingress, again)
    assert first.json()["duplicate"] is False
    assert second.status_code == 200
    assert second.json() == {"received": True, "event_id": event["id"], "duplicate": True}
    assert stored_event_ids(clean_db) == [event["id"]]
    assert event_row(clean_db, event["id"])["payload"] == event  # nothing overwritten
    assert queued_event_ids(clean_redis) == [event["id"]]  # enqueued once


def test_every_event_type_is_stored(ingress, clean_db, clean_redis):
    events = [event_envelope(t) for t in ("customer.created", "invoice.paid", "made.up.type")]
    for event in events:
        assert post_event(ingress, event).status_code == 200
    assert stored_event_ids(clean_db) == sorted(e["id"] for e in events)
    assert queued_event_ids(clean_redis) == sorted(e["id"] for e in events)


def test_signature_with_the_second_configured_secret_is_accepted(ingress, clean_db):
    event = event_envelope()
    response = post_event(ingress, event, secret=SECRET_B)
    assert response.status_code == 200, response.text
    assert stored_event_ids(clean_db) == [event["id"]]


def test_header_with_several_v1_signatures_is_accepted_when_one_matches(ingress, clean_db):
    event = event_envelope()
    body = json.dumps(event)
    good = sign(body, SECRET_A)
    timestamp, signature = (part.split("=", 1)[1] for part in good.split(","))
    header = f"t={timestamp},v1={'0' * 64},v1={signature},v0={'1' * 64}"
    response = ingress.post(WEBHOOK_PATH, content=body, headers={"Stripe-Signature": header})
    assert response.status_code == 200, response.text
    assert stored_event_ids(clean_db) == [event["id"]]


def test_body_is_judged_by_content_not_by_content_type(ingress, clean_db):
    event = event_envelope()
    response = post_event(ingress, event, headers={"Content-Type": "text/plain"})
    assert response.status_code == 200, response.text
    assert stored_event_ids(clean_db) == [event["id"]]


def test_raw_body_is_stored_as_sent(ingress, clean_db):
    body = (
        '{"type":"customer.created","id":"evt_raw_1","created":1700000000,'
        '"nested":{"b":1,"a":[1.5,"é"]}}'
    )
    response = post_event(ingress, body)
    assert response.status_code == 200, response.text
    assert event_row(clean_db, "evt_raw_1")["payload"] == json.loads(body)
