"""Event type → handler, on one screen. Every type not listed here ends `skipped`.

A handler turns the payload into records (pure functions in its module), applies them to the
state tables and returns the owners whose entitlements must be recomputed. It never commits and
never checks "already done": the inbox does that, once, for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection

from workers.handlers.charge import apply_charge_refunded
from workers.handlers.checkout_session import apply_checkout_session_completed
from workers.handlers.deps import HandlerDeps
from workers.handlers.invoice import apply_invoice_event
from workers.handlers.payment_intent import apply_payment_intent_event
from workers.handlers.subscription import apply_subscription_event
from workers.inbox import Handler
from workers.owners import Owner

HandlerFn = Callable[[Connection, dict[str, Any], HandlerDeps], set[Owner]]

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
    return {
        event_type: partial(_call, handler, deps=deps) for event_type, handler in HANDLERS.items()
    }


def _call(
    handler: HandlerFn, tx: Connection, event: dict[str, Any], deps: HandlerDeps
) -> set[Owner]:
    return handler(tx, event, deps)
