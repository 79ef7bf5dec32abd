"""A Customer's own metadata names the owner when Stripe sends the customer expanded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from shared.settings import load_settings
from tests import stripe_events as se
from tests.billing.helpers import T0, customer_row, deliver, entitlements_of, owner_metadata, rows
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import TEST_DATABASE_URL, TEST_REDIS_URL
from workers.bootstrap import build_worker_parts
from workers.inbox import Inbox

pytestmark = pytest.mark.usefixtures("empty_stores")


def test_expanded_customer_metadata_links_the_customer(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    sub = se.subscription(
        "sub_expanded",
        customer="cus_expanded",
        status="active",
        products=["prod_E"],
        period_end=1_900_000_000,
    )
    sub["customer"] = se.customer("cus_expanded", metadata=owner_metadata("u-expanded"))

    status = deliver(
        inbox, clean_db, se.event("customer.subscription.created", sub, created=1_800_000_000)
    )

    assert status == "processed"
    assert customer_row(clean_db, "cus_expanded")["user_id"] == "u-expanded"
    assert set(entitlements_of(clean_db, "u-expanded")) == {"prod_E"}


def test_the_objects_own_metadata_beats_its_customers(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    pi = se.payment_intent(
        "pi_expanded",
        amount=700,
        customer="cus_both",
        metadata=owner_metadata("u-own", product_id="prod_L"),
    )
    pi["customer"] = se.customer("cus_both", metadata=owner_metadata("u-customer"))

    deliver(inbox, clean_db, se.event("payment_intent.succeeded", pi, created=1_800_000_000))

    assert customer_row(clean_db, "cus_both")["user_id"] == "u-own"
    assert set(entitlements_of(clean_db, "u-own")) == {"prod_L"}
    assert entitlements_of(clean_db, "u-customer") == {}


@pytest.fixture
def keyed_inbox(fake_stripe: FakeStripe, clean_db: Engine) -> Iterator[Inbox]:
    """An inbox of a worker with STRIPE_SECRET_KEY set, the fake standing in for Stripe."""
    parts = build_worker_parts(
        load_settings(
            {
                "DATABASE_URL": TEST_DATABASE_URL,
                "REDIS_URL": TEST_REDIS_URL,
                "STRIPE_SECRET_KEY": fake_stripe.api_key,
                "STRIPE_API_BASE": fake_stripe.base_url,
            }
        )
    )
    yield parts.inbox
    parts.engine.dispose()


def test_with_a_stripe_key_the_customers_metadata_is_looked_up(
    keyed_inbox: Inbox, fake_stripe: FakeStripe, clean_db: Engine, project: str
) -> None:
    fake_stripe.add_customer(se.customer("cus_looked_up", metadata=owner_metadata("u-lookup")))
    sub = se.subscription(
        "sub_lookup", customer="cus_looked_up", status="active", products=["prod_L"],
        period_end=1_900_000_000,
    )  # fmt: skip

    deliver(keyed_inbox, clean_db, se.event("customer.subscription.created", sub, created=T0))
    deliver(keyed_inbox, clean_db, se.event("customer.subscription.updated", sub, created=T0 + 1))

    assert customer_row(clean_db, "cus_looked_up")["user_id"] == "u-lookup"
    assert set(entitlements_of(clean_db, "u-lookup")) == {"prod_L"}
    lookups = [p for _, p, _ in fake_stripe.request_log if p.startswith("/v1/customers/")]
    assert lookups == ["/v1/customers/cus_looked_up"]  # linked after the first: no second call


def test_a_failed_customer_lookup_leaves_the_object_waiting_for_its_owner(
    keyed_inbox: Inbox, fake_stripe: FakeStripe, clean_db: Engine, project: str
) -> None:
    sub = se.subscription(
        "sub_nobody", customer="cus_missing", status="active", products=["prod_L"],
        period_end=1_900_000_000,
    )  # fmt: skip

    status = deliver(
        keyed_inbox, clean_db, se.event("customer.subscription.created", sub, created=T0)
    )

    assert status == "processed"
    assert rows(clean_db, "SELECT * FROM entitlements") == []
