"""A Stripe account as the fake Stripe API (tests/fakes) holds it: objects owned by users of the
test project, created recently (inside any reconciliation window), and the events Stripe lists.
Objects themselves are built by tests/stripe_events."""

from __future__ import annotations

import time
from typing import TypedDict

from shared.settings import Settings, load_settings
from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import TEST_DATABASE_URL, TEST_REDIS_URL

Json = se.Json


def now_s() -> int:
    return int(time.time())


class FakeStripeEnv(TypedDict):
    STRIPE_SECRET_KEY: str
    STRIPE_API_BASE: str


def fake_stripe_env(fake: FakeStripe) -> FakeStripeEnv:
    """The variables that make the service call the fake instead of Stripe."""
    return {"STRIPE_SECRET_KEY": fake.api_key, "STRIPE_API_BASE": fake.base_url}


def fake_stripe_settings(fake: FakeStripe, **overrides: str) -> Settings:
    """A worker's settings: the test stores, the fake as the Stripe API, the rest defaults."""
    return load_settings(
        {
            "DATABASE_URL": TEST_DATABASE_URL,
            "REDIS_URL": TEST_REDIS_URL,
            "STRIPE_SECRET_KEY": fake.api_key,
            "STRIPE_API_BASE": fake.base_url,
            **overrides,
        }
    )


def add_subscription(
    fake: FakeStripe, sub_id: str, user_id: str, *, status: str = "active",
    product: str = "prod_pro", created: int | None = None, customer: str | None = None,
) -> Json:  # fmt: skip
    """A subscription created a day ago (inside any window), owned by `user_id` of the project."""
    created = now_s() - se.DAY_S if created is None else created
    sub = se.subscription(
        sub_id, customer=customer or f"cus_{user_id}", status=status, products=[product],
        period_end=created + 30 * se.DAY_S, created=created, metadata=se.owner_metadata(user_id),
    )  # fmt: skip
    fake.add_subscription(sub)
    return sub


def add_purchase(
    fake: FakeStripe, pi_id: str, user_id: str, *, amount: int = 4900,
    product: str = "prod_lifetime", refunded: int = 0, created: int | None = None,
) -> Json:  # fmt: skip
    """A succeeded one-time PaymentIntent naming its owner and product, and its charge."""
    created = now_s() - se.DAY_S if created is None else created
    charge_id = "ch_" + pi_id.removeprefix("pi_")
    pi = se.payment_intent(
        pi_id, amount=amount, customer=f"cus_{user_id}", latest_charge=charge_id,
        metadata=se.owner_metadata(user_id, product_id=product), created=created,
    )  # fmt: skip
    fake.add_payment_intent(pi)
    set_refunded(fake, pi, refunded)
    return pi


def set_refunded(fake: FakeStripe, pi: Json, refunded: int) -> Json:
    """The PaymentIntent's charge as Stripe holds it after refunds totalling `refunded`."""
    ch = se.charge(
        pi["latest_charge"], payment_intent=pi["id"], amount=pi["amount"],
        amount_refunded=refunded, customer=pi["customer"], created=pi["created"],
    )  # fmt: skip
    return fake.add_charge(ch)


def stripe_event(fake: FakeStripe, event_type: str, obj: Json, created: int) -> Json:
    """An event as Stripe lists it under /v1/events."""
    return fake.add_event(se.event(event_type, obj, created=created))
