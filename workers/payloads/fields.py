"""Reading Stripe payloads defensively: a wrong shape becomes a MalformedEvent that says where."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.records import ClaimedOwner
from workers.payloads.errors import MalformedEvent


def event_object(event: dict[str, Any], expected: str) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent("event has no data.object")
    if obj.get("object") not in (None, expected):
        raise MalformedEvent(f"data.object is a {obj.get('object')!r}, expected {expected!r}")
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        raise MalformedEvent(f"data.object ({expected}) has no string id")
    return obj


def event_created(event: dict[str, Any]) -> int:
    created = event.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise MalformedEvent("event has no integer created")
    return created


def optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} must be a string, got {type(value).__name__}")
    return value


# A BIGINT column holds what these integers become; a larger one could only fail every retry.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def optional_int(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedEvent(f"{key} must be an integer, got {type(value).__name__}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise MalformedEvent(f"{key} is out of range: {value}")
    return value


def required_str(obj: dict[str, Any], key: str) -> str:
    value = optional_str(obj, key)
    if value is None:
        raise MalformedEvent(f"{key} is missing")
    return value


def id_of(obj: dict[str, Any], key: str) -> str | None:
    """An expandable field: either an id string or the expanded object with an id."""
    value = obj.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"{key} must be an id or an object with an id")
    return value


def metadata(obj: dict[str, Any]) -> dict[str, Any]:
    value = obj.get("metadata")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent("metadata must be an object")
    return value


def claimed_owner(obj: dict[str, Any], fallback_user_id: str | None = None) -> ClaimedOwner | None:
    """What the metadata says about the owner: `project_id`, `user_id` (or the fallback, a
    Checkout Session's client_reference_id), and every other string value, since which key
    names the user is the project's choice. None when the metadata says nothing at all."""
    meta = metadata(obj)
    texts = tuple(sorted((key, value) for key, value in meta.items() if _text(value)))
    if not texts and not fallback_user_id:
        return None
    project_id = _text(meta.get("project_id"))
    user_id = _text(meta.get("user_id")) or fallback_user_id
    return ClaimedOwner(
        project_id=project_id or "",
        user_id=user_id or "",
        metadata=texts,
        fallback_user_id=fallback_user_id,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def timestamp(value: int | None, name: str = "timestamp") -> datetime | None:
    """Unix seconds as an aware datetime; one no calendar holds is malformed, not a retry."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedEvent(f"{name} {value} is out of range for a Unix time in seconds") from None


def subscription_items(subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """`items.data` of a subscription ([] when it has none)."""
    items = subscription.get("items")
    if items is None:
        return []
    data = items.get("data") if isinstance(items, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise MalformedEvent("subscription items must be a list object of items")
    return data
