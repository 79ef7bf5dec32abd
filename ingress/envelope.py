"""The few fields of a Stripe event the ingress needs; the body itself is stored untouched."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ingress.errors import WebhookRejected


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    id: str
    type: str
    created: int
    api_version: str | None
    livemode: bool


def parse_event_envelope(body: str) -> EventEnvelope:
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookRejected("body is not valid JSON") from None
    if not isinstance(event, dict):
        raise WebhookRejected("body is not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise WebhookRejected("event has no string 'id'")
    if not isinstance(event_type, str) or not event_type:
        raise WebhookRejected("event has no string 'type'")
    if not isinstance(created, int) or isinstance(created, bool):
        raise WebhookRejected("event has no integer 'created'")
    api_version = event.get("api_version")
    return EventEnvelope(
        id=event_id,
        type=event_type,
        created=created,
        api_version=api_version if isinstance(api_version, str) else None,
        livemode=event.get("livemode") is True,
    )
