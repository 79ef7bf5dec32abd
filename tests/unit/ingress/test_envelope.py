"""The few fields the ingress reads from an event (ingress/envelope.py)."""

from __future__ import annotations

import json

import pytest

from ingress.envelope import parse_event_envelope
from ingress.errors import WebhookRejected


def test_envelope_fields_are_read():
    body = json.dumps(
        {"id": "evt_1", "type": "a.b", "created": 17, "api_version": "2024-06-20", "livemode": True}
    )
    envelope = parse_event_envelope(body)
    assert (envelope.id, envelope.type, envelope.created) == ("evt_1", "a.b", 17)
    assert envelope.api_version == "2024-06-20" and envelope.livemode is True


def test_optional_fields_default():
    envelope = parse_event_envelope('{"id": "evt_1", "type": "a.b", "created": 17}')
    assert envelope.api_version is None and envelope.livemode is False


@pytest.mark.parametrize(
    "body",
    [
        "",
        "nope",
        "[]",
        '{"type": "a", "created": 1}',
        '{"id": 1, "type": "a", "created": 1}',
        '{"id": "evt_1", "created": 1}',
        '{"id": "evt_1", "type": null, "created": 1}',
        '{"id": "evt_1", "type": "a"}',
        '{"id": "evt_1", "type": "a", "created": true}',
        '{"id": "evt_1", "type": "a", "created": 1.0}',
        '{"id": "evt_1", "type": "a", "created": "1"}',
    ],
)
def test_bodies_that_are_not_events_are_refused(body):
    with pytest.raises(WebhookRejected) as refused:
        parse_event_envelope(body)
    assert refused.value.status == 400
