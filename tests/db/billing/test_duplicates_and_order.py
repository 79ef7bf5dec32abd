"""Idempotence and order: a duplicate changes nothing, and whatever order events arrive in, the
newest snapshot wins, a deletion is final, a payment never falls back and refunds only grow."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import redis
from sqlalchemy import Engine

from tests import stripe_events as se
from tests.stripe_events import (
    PERIOD_1,
    PERIOD_2,
    T0,
    at,
    mixed_history,
    owner_metadata,
    payment_intent_event,
    refund_event,
    subscription_event,
)
from tests.support.state import (
    cached_entitlements,
    deliver,
    deliver_all,
    entitlements_of,
    purchase_grant,
    purchase_row,
    subscription_row,
    table_rows,
)
from tests.support.stores import event_row, store_event
from workers.inbox import Inbox

Json = dict[str, Any]


def state(engine: Engine) -> Json:
    """Everything the workers write, to compare before and after."""
    return {
        table: table_rows(engine, table, skip=())
        for table in (
            "customers",
            "subscriptions",
            "subscription_payments",
            "purchases",
            "entitlements",
            "entitlement_versions",
        )
    }


def without_updated_at(snapshot: Json) -> Json:
    return {
        table: [{k: v for k, v in row.items() if k != "updated_at"} for row in found]
        for table, found in snapshot.items()
    }


# --- duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", se.SHAPES)
def test_processing_the_same_event_twice_changes_nothing(
    inbox: Inbox, clean_db: Engine, worker_cache: redis.Redis, project: str, shape: str
) -> None:
    events = mixed_history(shape)
    assert set(deliver_all(inbox, clean_db, events)) == {"processed"}
    before = state(clean_db)
    cache_before = cached_entitlements(worker_cache, "u1")
    for event in events:
        store_event(clean_db, event)  # a duplicate delivery is not stored again
        assert inbox.process(event["id"]) is None
    assert state(clean_db) == before
    assert cached_entitlements(worker_cache, "u1") == cache_before
    assert {event_row(clean_db, e["id"])["attempts"] for e in events} == {1}


@pytest.mark.parametrize("shape", se.SHAPES)
def test_the_same_content_under_a_new_event_id_changes_nothing(
    inbox: Inbox, clean_db: Engine, project: str, shape: str
) -> None:
    events = mixed_history(shape)
    deliver_all(inbox, clean_db, events)
    before = without_updated_at(state(clean_db))
    for event in events:
        copy_ = copy.deepcopy(event)
        copy_["id"] = event["id"] + "_again"
        assert deliver(inbox, clean_db, copy_) == "processed"
    after = without_updated_at(state(clean_db))
    before.pop("entitlement_versions"), after.pop("entitlement_versions")
    assert after == before


# --- order ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", se.SHAPES)
def test_newest_created_wins(inbox: Inbox, clean_db: Engine, project: str, shape: str) -> None:
    meta = owner_metadata("u1")
    newer = subscription_event(T0 + 10, "unpaid", period_end=PERIOD_2, metadata=meta, shape=shape)
    older = subscription_event(T0, "active", period_end=PERIOD_1, metadata=meta, shape=shape)
    deliver_all(inbox, clean_db, [newer, older])
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["current_period_end"]) == ("unpaid", at(PERIOD_2))
    assert row["snapshot_created"] == T0 + 10
    assert entitlements_of(clean_db, "u1") == {}


@pytest.mark.parametrize("reverse", [False, True], ids=["in_order", "reversed"])
@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("incomplete", "active"),
        ("trialing", "active"),
        ("active", "past_due"),
        ("past_due", "unpaid"),
        ("unpaid", "paused"),
        ("incomplete", "incomplete_expired"),
        ("active", "canceled"),
    ],
)
def test_equal_created_later_lifecycle_state_wins(
    inbox: Inbox, clean_db: Engine, project: str, earlier: str, later: str, reverse: bool
) -> None:
    meta = owner_metadata("u1")
    events = [
        subscription_event(T0, earlier, metadata=meta),
        subscription_event(T0, later, metadata=meta),
    ]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None and row["status"] == later


@pytest.mark.parametrize("gap_s", [-5, 0], ids=["older", "equal_created"])
@pytest.mark.parametrize("reverse", [False, True], ids=["deleted_first", "deleted_last"])
def test_deleted_subscription_never_comes_back(
    inbox: Inbox, clean_db: Engine, project: str, gap_s: int, reverse: bool
) -> None:
    meta = owner_metadata("u1")
    deleted = subscription_event(
        T0, "canceled", event_type="customer.subscription.deleted", metadata=meta
    )
    alive = subscription_event(T0 + gap_s, "active", period_end=PERIOD_2, metadata=meta)
    events = [deleted, alive]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["deleted"]) == ("canceled", True)
    assert entitlements_of(clean_db, "u1") == {}


@pytest.mark.parametrize("reverse", [False, True], ids=["deleted_first", "deleted_last"])
def test_deletion_is_final_even_before_a_newer_snapshot(
    inbox: Inbox, clean_db: Engine, project: str, reverse: bool
) -> None:
    """Stripe sends nothing alive after a deletion; if a newer snapshot shows up anyway, the
    result must still not depend on which of the two came first."""
    meta = owner_metadata("u1")
    deleted = subscription_event(
        T0, "canceled", event_type="customer.subscription.deleted", metadata=meta
    )
    newer = subscription_event(T0 + 10, "active", period_end=PERIOD_2, metadata=meta)
    events = [deleted, newer]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = subscription_row(clean_db, "sub_1")
    assert row is not None
    assert (row["status"], row["deleted"]) == ("canceled", True)
    assert entitlements_of(clean_db, "u1") == {}


@pytest.mark.parametrize("gap_s", [10, 0], ids=["failed_later", "equal_created"])
@pytest.mark.parametrize("reverse", [False, True])
def test_payments_never_fall_back_from_succeeded_to_failed(
    inbox: Inbox, clean_db: Engine, project: str, gap_s: int, reverse: bool
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    events = [
        payment_intent_event(T0, True, metadata=meta),
        payment_intent_event(T0 + gap_s, False, metadata=meta),
    ]
    deliver_all(inbox, clean_db, events[::-1] if reverse else events)
    row = purchase_row(clean_db, "pi_1")
    assert row is not None and row["status"] == "succeeded"
    assert entitlements_of(clean_db, "u1") == {"prod_book": purchase_grant("pi_1", "prod_book")}


def test_a_newer_success_replaces_a_failure(inbox: Inbox, clean_db: Engine, project: str) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver_all(inbox, clean_db, [payment_intent_event(T0, False, metadata=meta)])
    assert (purchase_row(clean_db, "pi_1") or {})["status"] == "failed"
    deliver_all(inbox, clean_db, [payment_intent_event(T0 + 10, True, metadata=meta)])
    assert (purchase_row(clean_db, "pi_1") or {})["status"] == "succeeded"


@pytest.mark.parametrize(
    ("first", "second", "status"),
    [
        ((T0 + 10, 3000), (T0 + 5, 1000), "partially_refunded"),
        ((T0 + 10, 4900), (T0 + 20, 1000), "refunded"),
        ((T0 + 10, 1000), (T0 + 20, 3000), "partially_refunded"),
    ],
)
def test_refunded_amount_only_grows(
    inbox: Inbox,
    clean_db: Engine,
    project: str,
    first: tuple[int, int],
    second: tuple[int, int],
    status: str,
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver(inbox, clean_db, payment_intent_event(T0, metadata=meta))
    deliver_all(inbox, clean_db, [refund_event(*first), refund_event(*second)])
    row = purchase_row(clean_db, "pi_1")
    assert row is not None
    assert row["amount_refunded_minor"] == max(first[1], second[1])
    assert row["status"] == status


def test_refund_before_the_payment_intent_still_counts(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    meta = owner_metadata("u1", product_id="prod_book")
    deliver_all(
        inbox, clean_db, [refund_event(T0 + 10, 4900), payment_intent_event(T0, metadata=meta)]
    )
    row = purchase_row(clean_db, "pi_1")
    assert row is not None and (row["status"], row["amount_refunded_minor"]) == ("refunded", 4900)
    assert entitlements_of(clean_db, "u1") == {}
