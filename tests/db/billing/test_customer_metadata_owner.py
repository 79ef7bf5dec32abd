"""A Customer's own metadata names the owner when Stripe sends the customer expanded (looked
up with a Stripe key: tests/db/enrichment)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests import stripe_events as se
from tests.stripe_events import owner_metadata
from tests.support.state import customer_row, deliver, entitlements_of
from workers.inbox import Inbox


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
