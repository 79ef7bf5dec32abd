"""Demo data for a manual `billing reconcile` against the fake: recent, owned by project demo."""

from __future__ import annotations

import time

from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe

_DAY_S = 86_400


def seed_demo(fake: FakeStripe, project_id: str = "demo", now: int | None = None) -> str:
    """Add customers, subscriptions, purchases and their events from the last few days."""
    now = int(time.time()) if now is None else now
    for n, (status, product) in enumerate([("active", "prod_pro"), ("canceled", "prod_basic")]):
        user = f"user_{n + 1}"
        created = now - (3 - n) * _DAY_S
        owner = {"project_id": project_id, "user_id": user}
        cus, sub_id = f"cus_demo{n + 1}", f"sub_demo{n + 1}"
        fake.add_customer(se.customer(cus, metadata=owner, created=created))
        sub = se.subscription(
            sub_id, customer=cus, status=status, products=[product],
            period_end=created + 30 * _DAY_S, created=created, metadata=owner,
        )  # fmt: skip
        fake.add_subscription(sub)
        fake.add_event(se.event(f"customer.subscription.{_verb(status)}", sub, created=created))
    _seed_purchase(fake, project_id, now - _DAY_S)
    return (
        f"Seeded {fake.store.count('subscription')} subscriptions, "
        f"{fake.store.count('payment_intent')} payment intents, "
        f"{fake.store.count('event')} events for project {project_id!r}"
    )


def _verb(status: str) -> str:
    return "deleted" if status == "canceled" else "created"


def _seed_purchase(fake: FakeStripe, project_id: str, created: int) -> None:
    """A one-time purchase through Checkout, later refunded in part."""
    owner = {"project_id": project_id, "user_id": "user_1", "product_id": "prod_lifetime"}
    pi = se.payment_intent(
        "pi_demo1", amount=4900, customer="cus_demo1", metadata=owner,
        latest_charge="ch_demo1", created=created,
    )  # fmt: skip
    ch = se.charge(
        "ch_demo1", payment_intent="pi_demo1", amount=4900, amount_refunded=900,
        customer="cus_demo1", created=created,
    )  # fmt: skip
    session = se.checkout_session(
        "cs_demo1", mode="payment", customer="cus_demo1", payment_intent="pi_demo1",
        metadata=owner, amount_total=4900, created=created,
    )  # fmt: skip
    fake.add_payment_intent(pi)
    fake.add_charge(ch)
    fake.add_checkout_session(session, [se.checkout_line_item("prod_lifetime", amount=4900)])
    fake.add_event(se.event("checkout.session.completed", session, created=created))
    fake.add_event(se.event("payment_intent.succeeded", pi, created=created))
    fake.add_event(se.event("charge.refunded", ch, created=created + 3600))
