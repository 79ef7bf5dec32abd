"""Pure: records → entitlements (shared/entitlements/compute.py). No database, no Redis."""

from __future__ import annotations

import pytest

from shared.entitlements.compute import (
    ActivePurchase,
    ActiveSubscription,
    Grant,
    compute_entitlements,
    entitlements_json,
)
from tests.stripe_events import PERIOD_1, PERIOD_2, at, iso


def sub(
    sub_id: str, status: str, products: tuple[str, ...], end: int = PERIOD_1
) -> ActiveSubscription:
    return ActiveSubscription(sub_id, status, products, at(end))


def test_mapped_product_grants_its_keys() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro",))], [], {"prod_pro": ("pro", "support")}
    )
    assert grants == {
        "pro": Grant("subscription", "sub_1", "prod_pro", at(PERIOD_1)),
        "support": Grant("subscription", "sub_1", "prod_pro", at(PERIOD_1)),
    }


def test_unmapped_product_grants_an_entitlement_named_by_its_id() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro", "prod_extra"))],
        [ActivePurchase("pi_1", "prod_book")],
        {"prod_pro": ("pro",)},
    )
    assert sorted(grants) == ["pro", "prod_book", "prod_extra"]
    assert grants["prod_book"] == Grant("purchase", "pi_1", "prod_book", None)


def test_lifetime_purchase_beats_a_dated_subscription() -> None:
    mapping = {"prod_pro": ("pro",), "prod_pro_lifetime": ("pro",)}
    for order in (1, -1):
        grants = compute_entitlements(
            [sub("sub_1", "active", ("prod_pro",), PERIOD_2)][::order],
            [ActivePurchase("pi_1", "prod_pro_lifetime")],
            mapping,
        )
        assert grants["pro"] == Grant("purchase", "pi_1", "prod_pro_lifetime", None)


def test_the_later_period_end_wins_whatever_the_row_order() -> None:
    subs = [
        sub("sub_1", "active", ("prod_pro",), PERIOD_1),
        sub("sub_2", "past_due", ("prod_pro",), PERIOD_2),
    ]
    for ordered in (subs, subs[::-1]):
        assert compute_entitlements(ordered, [], {})["prod_pro"].source_id == "sub_2"


@pytest.mark.parametrize(
    ("status", "entitled"),
    [
        ("active", True),
        ("trialing", True),
        ("past_due", True),
        ("incomplete", False),
        ("unpaid", False),
        ("paused", False),
        ("incomplete_expired", False),
        ("canceled", False),
    ],
)
def test_only_active_trialing_and_past_due_subscriptions_entitle(
    status: str, entitled: bool
) -> None:
    grants = compute_entitlements([sub("sub_1", status, ("prod_pro",))], [], {})
    assert bool(grants) is entitled


def test_entitlements_json_is_the_read_api_shape() -> None:
    grants = compute_entitlements(
        [sub("sub_1", "active", ("prod_pro",))], [ActivePurchase("pi_1", "prod_book")], {}
    )
    assert entitlements_json(grants) == {
        "prod_book": {
            "source": "purchase",
            "source_id": "pi_1",
            "product_id": "prod_book",
            "expires_at": None,
        },
        "prod_pro": {
            "source": "subscription",
            "source_id": "sub_1",
            "product_id": "prod_pro",
            "expires_at": iso(PERIOD_1),
        },
    }
