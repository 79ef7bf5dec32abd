"""The one place that builds Stripe test objects and events: ``from tests import stripe_events
as se``.

fixtures.py reads Stripe's own example objects and the captured real events from
tests/fixtures; objects.py turns the examples into coherent objects in each API version's
payload shape; events.py wraps them in webhook events and has one builder per handled event
type, with the defaults of one small test world (user ``u1`` of project ``acme`` at ``T0``).
"""

from tests.stripe_events.events import (
    DAY_S,
    OTHER_PROJECT,
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_TYPES,
    SUBSCRIPTION_UPDATED,
    T0,
    at,
    checkout_session_event,
    event,
    invoice_event,
    iso,
    mixed_history,
    owner_metadata,
    payment_intent_event,
    refund_event,
    subscription_event,
    to_body,
)
from tests.stripe_events.fixtures import (
    NEW_API,
    OLD_API,
    PLAN_API,
    REAL_EVENTS_PATH,
    SHAPES,
    Json,
    api_version_for,
    fixtures_path,
    real_events,
)
from tests.stripe_events.objects import (
    charge,
    checkout_line_item,
    checkout_session,
    customer,
    invoice,
    payment_intent,
    price_id_for,
    subscription,
)

__all__ = [
    "DAY_S",
    "NEW_API",
    "OLD_API",
    "OTHER_PROJECT",
    "PERIOD_1",
    "PERIOD_2",
    "PLAN_API",
    "PROJECT",
    "REAL_EVENTS_PATH",
    "SHAPES",
    "SUBSCRIPTION_CREATED",
    "SUBSCRIPTION_DELETED",
    "SUBSCRIPTION_TYPES",
    "SUBSCRIPTION_UPDATED",
    "T0",
    "Json",
    "api_version_for",
    "at",
    "charge",
    "checkout_line_item",
    "checkout_session",
    "checkout_session_event",
    "customer",
    "event",
    "fixtures_path",
    "invoice",
    "invoice_event",
    "iso",
    "mixed_history",
    "owner_metadata",
    "payment_intent",
    "payment_intent_event",
    "price_id_for",
    "real_events",
    "refund_event",
    "subscription",
    "subscription_event",
    "to_body",
]
