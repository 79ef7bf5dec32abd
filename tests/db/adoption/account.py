"""A Stripe account as a team brings it on day one, in the fake Stripe API: customers whose
owners live in four different places, each with an active subscription to `prod_pro`."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe

PROJECT = "acme"
PRODUCT = "prod_pro"
PERIOD_END = 2_000_000_000
# Where each customer's owner lives, by customer number modulo 4.
OUR_METADATA, OTHER_KEY, CHECKOUT_ONLY, API_LINK_ONLY = range(4)


@dataclass
class Account:
    users: dict[str, str] = field(default_factory=dict)  # customer id -> the app's user id
    by_place: dict[int, list[str]] = field(default_factory=dict)  # place -> customer ids


def customer_id(n: int) -> str:
    return f"cus_{n:06d}"


def user_id(n: int) -> str:
    return f"user-{n}"


def build_account(fake: FakeStripe, customers: int, created: int = 1_700_000_000) -> Account:
    """`customers` customers, one subscription each; owner place = n % 4."""
    account = Account()
    for n in range(customers):
        place, cus, user = n % 4, customer_id(n), user_id(n)
        metadata: dict[str, str] = {}
        if place == OUR_METADATA:
            metadata = {"project_id": PROJECT, "user_id": user}
        elif place == OTHER_KEY:
            metadata = {"userId": user}
        fake.add_customer(se.customer(cus, metadata=metadata, created=created + n))
        if place == CHECKOUT_ONLY:
            fake.add_checkout_session(
                se.checkout_session(
                    f"cs_{n:06d}",
                    mode="subscription",
                    customer=cus,
                    subscription=f"sub_{n:06d}",
                    client_reference_id=user,
                    created=created + n,
                )
            )
        fake.add_subscription(
            se.subscription(
                f"sub_{n:06d}",
                customer=cus,
                status="active",
                products=[PRODUCT],
                period_end=PERIOD_END,
                created=created + n,
            )
        )
        account.users[cus] = user
        account.by_place.setdefault(place, []).append(cus)
    return account
