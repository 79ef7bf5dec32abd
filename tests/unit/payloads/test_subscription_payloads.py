"""Pure: a subscription event's payload → its snapshot record, on both payload shapes of CONTRACT
section 3 and the 2017-era plan-only one. No database, no Redis."""

from __future__ import annotations

import pytest

from shared.records import ClaimedOwner
from tests import stripe_events as se
from tests.stripe_events import (
    PERIOD_1,
    PERIOD_2,
    PROJECT,
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_TYPES,
    T0,
    at,
    owner_metadata,
)
from workers.payloads.subscription import subscription_snapshot

TWO_PRODUCTS = ("prod_basic", "prod_extra")


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize("event_type", SUBSCRIPTION_TYPES)
def test_subscription_snapshot_reads_both_payload_shapes(event_type: str, shape: str) -> None:
    deleted = event_type.endswith("deleted")
    status = "canceled" if deleted else "past_due"
    snapshot = subscription_snapshot(
        se.subscription_event(
            T0,
            status,
            event_type=event_type,
            products=TWO_PRODUCTS,
            metadata=owner_metadata("u1"),
            cancel_at_period_end=True,
            shape=shape,
        )
    )
    assert snapshot.id == "sub_1" and snapshot.customer_id == "cus_1"
    assert snapshot.owner == ClaimedOwner(PROJECT, "u1")
    assert snapshot.status == status and snapshot.deleted is deleted
    assert snapshot.product_ids == ("prod_basic", "prod_extra")
    assert snapshot.current_period_end == at(PERIOD_1)
    assert snapshot.cancel_at_period_end is True
    assert snapshot.created == T0


@pytest.mark.parametrize("shape", se.SHAPES)
def test_deleted_event_is_canceled_whatever_status_the_object_shows(shape: str) -> None:
    snapshot = subscription_snapshot(
        se.subscription_event(T0, "active", event_type=SUBSCRIPTION_DELETED, shape=shape)
    )
    assert (snapshot.status, snapshot.deleted) == ("canceled", True)


def test_new_shape_period_end_is_the_latest_of_the_items() -> None:
    event = se.subscription_event(T0, products=TWO_PRODUCTS)
    event["data"]["object"]["items"]["data"][1]["current_period_end"] = PERIOD_2
    assert "current_period_end" not in event["data"]["object"]
    assert subscription_snapshot(event).current_period_end == at(PERIOD_2)


def test_old_shape_period_end_is_the_subscriptions_own() -> None:
    event = se.subscription_event(T0, products=TWO_PRODUCTS, period_end=PERIOD_2, shape="old")
    assert all("current_period_end" not in i for i in event["data"]["object"]["items"]["data"])
    assert subscription_snapshot(event).current_period_end == at(PERIOD_2)


def test_plan_only_items_name_their_products_through_the_plan() -> None:
    event = se.subscription_event(T0, products=("prod_gold",), shape="plan")
    assert "price" not in event["data"]["object"]["items"]["data"][0]
    assert subscription_snapshot(event).product_ids == ("prod_gold",)


def test_subscription_without_items_uses_its_top_level_plan() -> None:
    event = se.subscription_event(T0, products=("prod_gold",), shape="plan")
    del event["data"]["object"]["items"]
    assert subscription_snapshot(event).product_ids == ("prod_gold",)


def test_expanded_customer_and_product_objects_are_read_by_id() -> None:
    event = se.subscription_event(T0, products=("prod_basic",))
    obj = event["data"]["object"]
    obj["customer"] = {"id": "cus_1", "object": "customer"}
    obj["items"]["data"][0]["price"]["product"] = {"id": "prod_basic", "object": "product"}
    snapshot = subscription_snapshot(event)
    assert (snapshot.customer_id, snapshot.product_ids) == ("cus_1", ("prod_basic",))


def test_subscription_without_owner_metadata_claims_no_owner() -> None:
    assert subscription_snapshot(se.subscription_event(T0, metadata={})).owner is None


def test_a_half_claim_is_kept_incomplete_so_the_customer_cannot_stand_in() -> None:
    project_only = se.subscription_event(T0, metadata={"project_id": PROJECT})
    assert subscription_snapshot(project_only).owner == ClaimedOwner(PROJECT, "")
    user_only = se.subscription_event(T0, metadata={"user_id": "u1"})
    assert subscription_snapshot(user_only).owner == ClaimedOwner("", "u1")
