"""Pure comparisons of Stripe's objects with local records: what differs, and the event that
would carry Stripe's state through the ordinary handlers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from workers.payloads.subscription import subscription_snapshot

Json = dict[str, Any]


class LocalSubscription(NamedTuple):
    status: str
    current_period_end: datetime | None


class LocalPurchase(NamedTuple):
    payment_status: str
    amount_refunded_minor: int


def subscription_event(sub: Json, observed_at: int) -> Json:
    """Stripe's current subscription as an event dated when it was observed, so it outranks
    every snapshot the service already holds."""
    deleted = sub.get("status") == "canceled"
    event_type = "customer.subscription.deleted" if deleted else "customer.subscription.updated"
    return _event(event_type, sub, observed_at)


def checkout_session_event(session: Json, observed_at: int) -> Json:
    """A completed Checkout Session as its event, dated when it was listed."""
    return _event("checkout.session.completed", session, observed_at)


def subscription_differs(sub: Json, local: LocalSubscription | None, observed_at: int) -> bool:
    if local is None:
        return True
    snapshot = subscription_snapshot(subscription_event(sub, observed_at))
    return (snapshot.status, snapshot.current_period_end) != (
        local.status,
        local.current_period_end,
    )


def payment_status_of(pi: Json) -> str:
    status = pi.get("status")
    if status == "succeeded":
        return "succeeded"
    if status == "canceled" or pi.get("last_payment_error"):
        return "failed"
    return "pending"


def refunded_of(pi: Json) -> int:
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        return int(charge.get("amount_refunded") or 0)
    return 0


def purchase_differs(pi: Json, local: LocalPurchase | None) -> bool:
    if local is None:
        return True
    return (payment_status_of(pi), refunded_of(pi)) != (
        local.payment_status,
        local.amount_refunded_minor,
    )


def purchase_events(pi: Json, observed_at: int) -> list[Json]:
    """The PaymentIntent event for its status, then its charge's refund if there is one."""
    status = payment_status_of(pi)
    events: list[Json] = []
    if status != "pending":
        event_type = (
            "payment_intent.succeeded" if status == "succeeded" else "payment_intent.payment_failed"
        )
        plain = {**pi, "latest_charge": _id(pi.get("latest_charge"))}
        events.append(_event(event_type, plain, observed_at))
    charge = pi.get("latest_charge")
    if isinstance(charge, dict) and refunded_of(pi) > 0:
        events.append(
            _event("charge.refunded", {**charge, "payment_intent": pi["id"]}, observed_at)
        )
    return events


def is_purchase_candidate(pi: Json, known_locally: bool) -> bool:
    """A PaymentIntent the service tracks, or a settled one whose metadata names a user
    (a purchase whose events never arrived); an unknown pending one has nothing to reconcile."""
    if known_locally:
        return True
    metadata = pi.get("metadata") or {}
    return bool(metadata.get("user_id")) and payment_status_of(pi) != "pending"


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _event(event_type: str, obj: Json, created: int) -> Json:
    return {"type": event_type, "created": created, "data": {"object": obj}}
