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


# Indexed columns refuse huge values: longer ids or types are not Stripe's (theirs are < 100).
MAX_ID_CHARS = 255
MAX_API_VERSION_CHARS = 64
INT64_MAX = 2**63 - 1


def parse_event_envelope(body: str) -> EventEnvelope:
    """Raises WebhookRejected (400) for anything that is not a storable Stripe event. JSON nested
    deeper than Python's parser goes (about 1,000 levels; Stripe's events have fewer than 10) is
    refused too."""
    try:
        event = json.loads(body)
    except RecursionError:
        raise WebhookRejected("body is JSON nested too deeply (over ~1,000 levels)") from None
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
    if not 0 <= created <= INT64_MAX:
        raise WebhookRejected("event 'created' is out of range")
    for name, value in (("id", event_id), ("type", event_type)):
        if len(value) > MAX_ID_CHARS or "\x00" in value:
            raise WebhookRejected(
                f"event '{name}' longer than {MAX_ID_CHARS} characters or has NUL"
            )
    api_version = event.get("api_version")
    if isinstance(api_version, str) and len(api_version) > MAX_API_VERSION_CHARS:
        raise WebhookRejected(f"event 'api_version' longer than {MAX_API_VERSION_CHARS}")
    return EventEnvelope(
        id=event_id,
        type=event_type,
        created=created,
        api_version=api_version if isinstance(api_version, str) else None,
        livemode=event.get("livemode") is True,
    )
