"""Event type → handler, on one screen. Every type not listed here ends `skipped`.

A handler reads its payload with workers/payloads (pure), applies the records to the state tables
(shared/state) and returns the owners whose entitlements must be recomputed. It never commits and
never checks "already done": the inbox does that, once, for all of them.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

from sqlalchemy import Connection

from shared.records import Owner
from workers.handlers.charge import apply_charge_refunded
from workers.handlers.checkout_session import apply_checkout_session_completed
from workers.handlers.deps import HandlerDeps
from workers.handlers.invoice import apply_invoice_event
from workers.handlers.payment_intent import apply_payment_intent_event
from workers.handlers.subscription import apply_subscription_event
from workers.inbox import Handler


class HandlerFn(Protocol):
    def __call__(self, tx: Connection, event: dict[str, Any], deps: HandlerDeps) -> set[Owner]: ...


HANDLERS: dict[str, HandlerFn] = {
    "checkout.session.completed": apply_checkout_session_completed,
    "customer.subscription.created": apply_subscription_event,
    "customer.subscription.updated": apply_subscription_event,
    "customer.subscription.deleted": apply_subscription_event,
    "invoice.payment_succeeded": apply_invoice_event,
    "invoice.payment_failed": apply_invoice_event,
    "payment_intent.succeeded": apply_payment_intent_event,
    "payment_intent.payment_failed": apply_payment_intent_event,
    "charge.refunded": apply_charge_refunded,
}


def bind_handlers(deps: HandlerDeps) -> dict[str, Handler]:
    """The registry with the process's dependencies filled in, as the inbox calls it."""
    return {event_type: partial(handler, deps=deps) for event_type, handler in HANDLERS.items()}
