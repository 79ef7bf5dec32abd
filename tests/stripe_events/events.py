"""Webhook events around the objects of objects.py, and one builder per handled event type.

The builders' defaults are one small world: user ``u1`` of project ``acme`` is customer
``cus_1`` with subscription ``sub_1`` (``prod_pro``, paid up to ``PERIOD_1``) and payment
``pi_1`` (4900 minor units); events happen at ``T0`` and the seconds after it. Objects name no
owner unless given ``metadata`` (``owner_metadata(...)``).
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tests.stripe_events import objects
from tests.stripe_events.fixtures import NEW_API, Json, api_version_for, fixture

PROJECT = "acme"
OTHER_PROJECT = "globex"
DAY_S = 86_400
T0 = 1_750_000_000  # `created` of the first event of a test; later ones add seconds
PERIOD_1 = 1_752_592_000
PERIOD_2 = PERIOD_1 + 30 * DAY_S

SUBSCRIPTION_CREATED = "customer.subscription.created"
SUBSCRIPTION_UPDATED = "customer.subscription.updated"
SUBSCRIPTION_DELETED = "customer.subscription.deleted"
SUBSCRIPTION_TYPES = (SUBSCRIPTION_CREATED, SUBSCRIPTION_UPDATED, SUBSCRIPTION_DELETED)


def owner_metadata(user_id: str, project_id: str = PROJECT, **extra: str) -> dict[str, str]:
    """The metadata by which a Stripe object names its owner (and, for a purchase, product)."""
    return {"project_id": project_id, "user_id": user_id, **extra}


def at(unix_s: int) -> datetime:
    """A Stripe timestamp as the aware datetime the database holds."""
    return datetime.fromtimestamp(unix_s, UTC)


def iso(unix_s: int) -> str:
    """A Stripe timestamp as the read API writes it."""
    return at(unix_s).isoformat().replace("+00:00", "Z")


def event(
    event_type: str,
    obj: Json,
    *,
    created: int,
    event_id: str | None = None,
    api_version: str = NEW_API,
) -> Json:
    """A webhook event around a copy of ``obj``; pass ``api_version_for(shape)`` for old shapes."""
    evt = fixture("event")
    evt.update(id=event_id or f"evt_{secrets.token_hex(12)}", object="event", type=event_type)
    evt.update(api_version=api_version, created=created, livemode=False, pending_webhooks=1)
    evt["data"] = {"object": copy.deepcopy(obj)}
    evt["request"] = {"id": None, "idempotency_key": None}
    return evt


def to_body(event: Json) -> str:
    """The compact JSON body Stripe would POST (sign exactly these bytes)."""
    return json.dumps(event, separators=(",", ":"))


def _event(event_type: str, obj: Json, created: int, shape: str) -> Json:
    return event(event_type, obj, created=created, api_version=api_version_for(shape))


# --- one builder per handled event type ------------------------------------------------------


def subscription_event(
    created: int,
    status: str = "active",
    *,
    event_type: str = SUBSCRIPTION_UPDATED,
    sub_id: str = "sub_1",
    customer: str = "cus_1",
    products: Sequence[str] = ("prod_pro",),
    period_end: int = PERIOD_1,
    metadata: dict[str, Any] | None = None,
    cancel_at_period_end: bool = False,
    shape: str = "new",
) -> Json:
    """A ``customer.subscription.*`` snapshot; the subscription itself began the day before T0."""
    obj = objects.subscription(
        sub_id,
        customer=customer,
        status=status,
        products=list(products),
        period_end=period_end,
        created=T0 - DAY_S,
        metadata=metadata,
        cancel_at_period_end=cancel_at_period_end,
        shape=shape,
    )
    return _event(event_type, obj, created, shape)


def invoice_event(
    created: int,
    paid: bool = True,
    *,
    invoice_id: str = "in_1",
    sub_id: str | None = "sub_1",
    customer: str = "cus_1",
    amount: int = 2000,
    payment_intent: str | None = None,
    shape: str = "new",
) -> Json:
    """``invoice.payment_succeeded``, or ``invoice.payment_failed`` when not ``paid``."""
    obj = objects.invoice(
        invoice_id,
        customer=customer,
        subscription_id=sub_id,
        paid=paid,
        amount=amount,
        payment_intent=payment_intent,
        created=created,
        shape=shape,
    )
    kind = "invoice.payment_succeeded" if paid else "invoice.payment_failed"
    return _event(kind, obj, created, shape)


def payment_intent_event(
    created: int,
    succeeded: bool = True,
    *,
    pi_id: str = "pi_1",
    amount: int = 4900,
    currency: str = "usd",
    customer: str | None = "cus_1",
    metadata: dict[str, Any] | None = None,
    invoice: str | None = None,
    shape: str = "new",
) -> Json:
    """``payment_intent.succeeded``, or ``payment_intent.payment_failed`` (a card decline)."""
    obj = objects.payment_intent(
        pi_id,
        amount=amount,
        currency=currency,
        status="succeeded" if succeeded else "requires_payment_method",
        customer=customer,
        metadata=metadata,
        invoice=invoice,
        created=T0 - 60,
        shape=shape,
    )
    kind = "payment_intent.succeeded" if succeeded else "payment_intent.payment_failed"
    return _event(kind, obj, created, shape)


def refund_event(
    created: int,
    refunded: int,
    *,
    pi_id: str = "pi_1",
    amount: int = 4900,
    currency: str = "usd",
    customer: str | None = "cus_1",
    shape: str = "new",
) -> Json:
    """``charge.refunded`` of the PaymentIntent's charge, ``refunded`` of ``amount`` in all."""
    obj = objects.charge(
        f"ch_{pi_id}",
        payment_intent=pi_id,
        amount=amount,
        amount_refunded=refunded,
        currency=currency,
        customer=customer,
        created=T0,
    )
    return _event("charge.refunded", obj, created, shape)


def checkout_session_event(
    created: int,
    *,
    mode: str = "payment",
    session_id: str = "cs_1",
    customer: str | None = "cus_1",
    payment_intent: str | None = "pi_1",
    subscription: str | None = None,
    metadata: dict[str, Any] | None = None,
    client_reference_id: str | None = None,
    amount: int | None = 4900,
    currency: str = "usd",
    payment_status: str = "paid",
    shape: str = "new",
) -> Json:
    """``checkout.session.completed``; only a ``payment`` mode session names a PaymentIntent."""
    obj = objects.checkout_session(
        session_id,
        mode=mode,
        customer=customer,
        payment_intent=payment_intent if mode == "payment" else None,
        subscription=subscription,
        metadata=metadata,
        client_reference_id=client_reference_id,
        amount_total=amount,
        currency=currency,
        payment_status=payment_status,
        created=created,
    )
    return _event("checkout.session.completed", obj, created, shape)


def mixed_history(shape: str = "new") -> list[Json]:
    """Events of every handled type for user u1, in the order Stripe would send them."""
    return [
        checkout_session_event(
            T0, mode="subscription", subscription="sub_1", metadata=owner_metadata("u1")
        ),
        subscription_event(T0 + 1, "active", event_type=SUBSCRIPTION_CREATED, shape=shape),
        invoice_event(T0 + 2, payment_intent="pi_inv", shape=shape),
        payment_intent_event(T0 + 3, pi_id="pi_inv", invoice="in_1", shape=shape),
        checkout_session_event(
            T0 + 4,
            session_id="cs_2",
            payment_intent="pi_2",
            metadata=owner_metadata("u1", product_id="prod_book"),
        ),
        payment_intent_event(T0 + 5, pi_id="pi_2", shape=shape),
        refund_event(T0 + 6, 100, pi_id="pi_2"),
        invoice_event(T0 + 7, False, invoice_id="in_2", shape=shape),
        subscription_event(T0 + 8, "past_due", shape=shape),
        subscription_event(T0 + 9, "canceled", event_type=SUBSCRIPTION_DELETED, shape=shape),
    ]
