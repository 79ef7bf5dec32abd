"""A payload the workers cannot read ends `failed`, saying what was wrong, and changes nothing;
every real payload we captured is processed or skipped."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests import stripe_events as se
from tests.stripe_events import (
    T0,
    checkout_session_event,
    invoice_event,
    owner_metadata,
    payment_intent_event,
    refund_event,
    subscription_event,
)
from tests.support.envelopes import post_event
from tests.support.state import create_project, deliver, entitlements_of, rows
from tests.support.stores import event_row
from workers.handlers import HANDLERS
from workers.inbox import Inbox

Json = dict[str, Any]


def _malformed(event: Json, **changes: Any) -> Json:
    broken = copy.deepcopy(event)
    broken["data"]["object"].update(changes)
    return broken


MALFORMED_EVENTS = [
    pytest.param(
        {**subscription_event(T0), "data": {}}, "event has no data.object", id="no-data-object"
    ),
    pytest.param(
        {**payment_intent_event(T0), "data": {"object": "pi_1"}},
        "no data.object",
        id="object-is-a-string",
    ),
    pytest.param(
        _malformed(subscription_event(T0), status=7), "status must be a string", id="status"
    ),
    pytest.param(
        _malformed(subscription_event(T0), items={"data": "all"}), "items", id="subscription-items"
    ),
    pytest.param(
        _malformed(payment_intent_event(T0), amount="49.00"),
        "amount must be an integer",
        id="amount",
    ),
    pytest.param(
        _malformed(payment_intent_event(T0), amount=2**70),
        "amount is out of range",
        id="amount-range",
    ),
    pytest.param(
        _malformed(checkout_session_event(T0), metadata="u1"),
        "metadata must be an object",
        id="metadata",
    ),
    pytest.param(
        _malformed(refund_event(T0, 10), amount_refunded=[10]), "amount_refunded", id="refund"
    ),
    pytest.param(
        _malformed(invoice_event(T0, shape="old"), subscription=5), "subscription", id="invoice"
    ),
    pytest.param(
        _malformed(subscription_event(T0), object="invoice"),
        "expected 'subscription'",
        id="object-type",
    ),
]


@pytest.mark.parametrize(("event", "reason"), MALFORMED_EVENTS)
def test_malformed_handled_event_ends_failed_saying_what_was_wrong(
    inbox: Inbox, clean_db: Engine, project: str, event: Json, reason: str
) -> None:
    assert event["type"] in HANDLERS
    assert deliver(inbox, clean_db, event) == "failed"
    stored = event_row(clean_db, event["id"])
    assert stored["status"] == "failed" and stored["attempts"] == 1
    assert reason in stored["error_message"]
    for table in ("customers", "subscriptions", "purchases", "subscription_payments"):
        assert rows(clean_db, f"SELECT * FROM {table}") == [], table


@pytest.mark.parametrize(("event", "reason"), MALFORMED_EVENTS[:3])
def test_signed_malformed_event_through_the_webhook_ends_failed(
    inbox: Inbox, clean_db: Engine, ingress: TestClient, event: Json, reason: str
) -> None:
    """The whole path: accepted (the envelope is valid, the signature right), then failed."""
    response = post_event(ingress, se.to_body(event))
    assert response.status_code == 200, response.text
    assert inbox.process(event["id"]) == "failed"
    stored = event_row(clean_db, event["id"])
    assert (stored["status"], stored["attempts"]) == ("failed", 1)
    assert reason in stored["error_message"]


def test_a_malformed_event_does_not_stop_the_next_one(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    deliver(inbox, clean_db, {**subscription_event(T0), "data": {}})
    assert (
        deliver(inbox, clean_db, subscription_event(T0, metadata=owner_metadata("u1")))
        == "processed"
    )
    assert entitlements_of(clean_db, "u1") != {}


# --- real payloads -------------------------------------------------------------------------------


def test_every_real_payload_is_processed_or_skipped(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    for project_id in ("205", "257", "312"):  # projects some payloads' metadata name
        create_project(clean_db, project_id)
    outcomes = {}
    for index, event in enumerate(se.real_events()):
        event = {**event, "id": f"{event['id']}_{index}"}
        outcomes[(index, event["type"])] = deliver(inbox, clean_db, event)
    assert set(outcomes.values()) <= {"processed", "skipped"}, outcomes
    for (_, event_type), status in outcomes.items():
        assert status == ("processed" if event_type in HANDLERS else "skipped")
