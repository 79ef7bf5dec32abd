"""Pure: a subscription's payload → its monthly recurring revenue, on Stripe's own example
objects in each API version's shape: prices (or 2017-era plans) normalised to a month, less
discounts in the `discount` and `discounts` shapes. No database, no Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests import stripe_events as se
from tests.stripe_events import PERIOD_1, Json
from tests.stripe_events.fixtures import fixture
from workers.payloads.errors import MalformedEvent
from workers.payloads.mrr import Mrr, subscription_mrr

REPO = Path(__file__).resolve().parents[3]


def _subscription(*products: str, shape: str = "new") -> Json:
    """Stripe's example subscription, one 2000 usd monthly item per product."""
    return se.subscription(
        "sub_1",
        customer="cus_1",
        status="active",
        products=list(products or ("prod_pro",)),
        period_end=PERIOD_1,
        shape=shape,
    )


def _priced(
    sub: Json,
    index: int = 0,
    *,
    amount: int | None = 2000,
    interval: str = "month",
    interval_count: int | None = 1,
    quantity: int | None = 1,
) -> Json:
    """`sub` with item `index` priced as given, in its price (or, lacking one, its plan)."""
    item = sub["items"]["data"][index]
    item["quantity"] = quantity
    decimal = None if amount is None else str(amount)
    if "price" in item:
        item["price"].update(unit_amount=amount, unit_amount_decimal=decimal)
        item["price"]["recurring"].update(interval=interval, interval_count=interval_count)
    else:
        item["plan"].update(amount=amount, amount_decimal=decimal)
        item["plan"].update(interval=interval, interval_count=interval_count)
    return sub


def _coupon(**fields: Any) -> Json:
    """Stripe's example coupon (25.5% off, forever), patched."""
    coupon = fixture("coupon")
    coupon.update(fields)
    return coupon


def _amount_off(amount: int, currency: str = "usd") -> Json:
    name = f"{amount} {currency} off"
    return _coupon(
        id=name.replace(" ", "_"), percent_off=None, amount_off=amount, currency=currency, name=name
    )


def _discount(coupon: Json | str, *, under: str = "source") -> Json:
    """Stripe's example discount, its coupon under `source.coupon` (newer API versions) or
    `coupon` (older)."""
    discount = fixture("discount")
    coupon_id = coupon if isinstance(coupon, str) else coupon["id"]
    discount.update(id=f"di_{coupon_id}", customer="cus_1", subscription="sub_1")
    if under == "coupon":
        del discount["source"]
        discount["coupon"] = coupon
    else:
        discount["source"] = {"type": "coupon", "coupon": coupon}
    return discount


def _discounted(sub: Json, *coupons: Json | str) -> Json:
    """`sub` with a discount per coupon in its `discounts` list (newer API versions)."""
    sub["discounts"] = [_discount(coupon, under="source") for coupon in coupons]
    return sub


# --- prices ----------------------------------------------------------------------------------


def test_stripe_example_subscription_counts_its_price_not_its_placeholder_plan() -> None:
    sub = fixture("subscription")
    assert sub["items"]["data"][0]["plan"]["billing_scheme"] == "tiered"  # Stripe's placeholder
    assert subscription_mrr(sub) == Mrr(currency="usd", monthly=Decimal(2000), not_counted=False)


@pytest.mark.parametrize("shape", se.SHAPES)
def test_monthly_price_counts_in_every_payload_shape(shape: str) -> None:
    assert subscription_mrr(_subscription(shape=shape)) == Mrr("usd", Decimal(2000), False)


@pytest.mark.parametrize("shape", se.SHAPES)
@pytest.mark.parametrize(
    ("interval", "monthly"),
    [
        ("day", Decimal(60_000)),
        ("week", Decimal(8000)),
        ("month", Decimal(2000)),
        ("year", Decimal(2000) / 12),
    ],
)
def test_each_interval_is_normalised_to_a_month(
    interval: str, monthly: Decimal, shape: str
) -> None:
    sub = _priced(_subscription(shape=shape), interval=interval)
    assert subscription_mrr(sub).monthly == monthly


@pytest.mark.parametrize(
    ("interval", "interval_count", "monthly"),
    [
        ("month", 3, Decimal(2000) / 3),
        ("month", 6, Decimal(2000) / 6),
        ("week", 6, Decimal(8000) / 6),
        ("year", 3, Decimal(2000) / 36),
        ("month", None, Decimal(2000)),
    ],
)
def test_interval_count_divides_the_monthly_amount(
    interval: str, interval_count: int | None, monthly: Decimal
) -> None:
    sub = _priced(_subscription(), interval=interval, interval_count=interval_count)
    assert subscription_mrr(sub).monthly == monthly


@pytest.mark.parametrize(("quantity", "monthly"), [(3, 6000), (0, 0), (None, 2000)])
def test_quantity_multiplies_the_unit_amount_and_defaults_to_one(
    quantity: int | None, monthly: int
) -> None:
    sub = _priced(_subscription(), quantity=quantity)
    if quantity is None:
        del sub["items"]["data"][0]["quantity"]
    assert subscription_mrr(sub).monthly == monthly


def test_yearly_amount_is_exact_and_unrounded() -> None:
    sub = _priced(_subscription(), amount=1000, interval="year")
    mrr = subscription_mrr(sub)
    assert mrr.monthly == Decimal(1000) / Decimal(12)
    assert mrr.monthly != mrr.monthly.quantize(Decimal("0.01"))


def test_items_are_summed_exactly_before_the_one_division() -> None:
    sub = _subscription("prod_basic", "prod_extra")
    for index in (0, 1):
        _priced(sub, index, amount=1000, interval="year")
    assert subscription_mrr(sub).monthly == Decimal(2000) / Decimal(12)


def test_unit_amount_decimal_is_preferred_for_its_fractions() -> None:
    sub = _subscription()
    sub["items"]["data"][0]["price"].update(unit_amount=None, unit_amount_decimal="1999.5")
    assert subscription_mrr(sub) == Mrr("usd", Decimal("1999.5"), False)


def test_unit_amount_is_used_when_there_is_no_decimal() -> None:
    sub = _subscription()
    sub["items"]["data"][0]["price"].update(unit_amount=1500, unit_amount_decimal=None)
    assert subscription_mrr(sub).monthly == 1500


def test_multi_item_subscription_sums_its_items_each_on_its_own_interval() -> None:
    sub = _subscription("prod_basic", "prod_extra")
    _priced(sub, 0, amount=2000, interval="month")
    _priced(sub, 1, amount=12_000, interval="year", quantity=2)
    assert subscription_mrr(sub) == Mrr("usd", Decimal(4000), False)


def test_item_with_a_price_is_read_from_the_price_not_the_plan() -> None:
    sub = _subscription()  # new shape: the item carries both
    sub["items"]["data"][0]["plan"].update(amount=99, amount_decimal="99", interval="day")
    assert subscription_mrr(sub).monthly == 2000


def test_plan_only_item_is_read_from_its_plan() -> None:
    sub = _priced(_subscription(shape="plan"), amount=24_000, interval="year", quantity=2)
    assert "price" not in sub["items"]["data"][0]
    assert subscription_mrr(sub) == Mrr("usd", Decimal(4000), False)


# --- prices without a fixed amount -----------------------------------------------------------


def _tiered_price(price: Json) -> None:
    price.update(billing_scheme="tiered", tiers_mode="graduated", unit_amount=None)
    price["unit_amount_decimal"] = None


def _metered_price(price: Json) -> None:
    price["recurring"]["usage_type"] = "metered"  # keeps its unit_amount, per unit used


def _amountless_price(price: Json) -> None:
    price.update(unit_amount=None, unit_amount_decimal=None)


@pytest.mark.parametrize("make", [_tiered_price, _metered_price, _amountless_price])
def test_item_without_a_fixed_amount_counts_zero_and_is_flagged(make: Any) -> None:
    sub = _subscription("prod_basic", "prod_usage")
    make(sub["items"]["data"][1]["price"])
    assert subscription_mrr(sub) == Mrr("usd", Decimal(2000), not_counted=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"billing_scheme": "tiered", "amount": None, "amount_decimal": None},
        {"usage_type": "metered"},
    ],
)
def test_plan_without_a_fixed_amount_counts_zero_and_is_flagged(fields: Json) -> None:
    sub = _subscription("prod_basic", "prod_usage", shape="plan")
    sub["items"]["data"][1]["plan"].update(fields)
    assert subscription_mrr(sub) == Mrr("usd", Decimal(2000), not_counted=True)


# --- currency --------------------------------------------------------------------------------


def test_currency_is_the_subscriptions_even_when_its_price_names_another() -> None:
    sub = _subscription()
    sub["currency"] = "eur"
    assert sub["items"]["data"][0]["price"]["currency"] == "usd"
    assert subscription_mrr(sub).currency == "eur"


def test_currency_without_a_subscription_currency_is_the_first_items_price_currency() -> None:
    sub = _subscription("prod_basic", "prod_extra")
    sub["currency"] = None
    sub["items"]["data"][0]["price"]["currency"] = "GBP"
    assert subscription_mrr(sub).currency == "gbp"


@pytest.mark.parametrize("items", [None, "missing"])
def test_subscription_without_items_has_no_revenue(items: str | None) -> None:
    sub = _subscription()
    if items == "missing":
        del sub["items"]
    else:
        sub["items"]["data"] = []
    assert subscription_mrr(sub) == Mrr("usd", Decimal(0), False)
    sub["currency"] = None
    assert subscription_mrr(sub).currency is None


# --- discounts -------------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["discount", "discounts"])
@pytest.mark.parametrize("under", ["coupon", "source"])
def test_percent_discount_is_read_from_each_shape(container: str, under: str) -> None:
    discount = _discount(_coupon(), under=under)  # Stripe's example: 25.5% off
    sub = _subscription()
    sub.update(discount=None, discounts=[])
    sub[container] = discount if container == "discount" else [discount]
    assert subscription_mrr(sub).monthly == Decimal(1490)


def test_fractional_percent_is_exact() -> None:
    sub = _discounted(_subscription(), _coupon(percent_off=33.33))
    assert subscription_mrr(sub).monthly == Decimal("1333.4")


def test_percent_discounts_apply_multiplicatively() -> None:
    sub = _discounted(_subscription(), _coupon(percent_off=50), _coupon(id="TEN", percent_off=10))
    assert subscription_mrr(sub).monthly == 900


def test_amount_discount_in_the_subscriptions_currency_is_subtracted() -> None:
    sub = _discounted(_subscription(), _amount_off(500))
    assert subscription_mrr(sub).monthly == 1500


def test_amount_discount_in_another_currency_is_ignored() -> None:
    sub = _discounted(_subscription(), _amount_off(500, "eur"))
    assert subscription_mrr(sub).monthly == 2000


def test_amount_discount_is_matched_against_the_subscriptions_currency() -> None:
    sub = _discounted(_subscription(), _amount_off(500, "eur"))
    sub["currency"] = "eur"  # its price still names usd
    assert subscription_mrr(sub) == Mrr("eur", Decimal(1500), False)


def test_amount_discount_per_invoice_is_normalised_by_the_first_items_interval() -> None:
    sub = _priced(_subscription(), amount=12_000, interval="year")
    sub = _discounted(sub, _amount_off(1200))
    assert subscription_mrr(sub).monthly == 900  # 1000 a month, less 1200 / 12


def test_amount_discount_per_quarter_is_normalised_by_the_interval_count() -> None:
    sub = _priced(_subscription(), amount=6000, interval_count=3)
    sub = _discounted(sub, _amount_off(600))
    assert subscription_mrr(sub).monthly == 1800


def test_percent_discounts_apply_before_amount_discounts() -> None:
    sub = _discounted(_subscription(), _amount_off(500), _coupon(percent_off=50))
    assert subscription_mrr(sub).monthly == 500


@pytest.mark.parametrize("shape", se.SHAPES)
def test_discounted_revenue_is_never_negative(shape: str) -> None:
    sub = _discounted(_subscription(shape=shape), _amount_off(5000))
    assert subscription_mrr(sub) == Mrr("usd", Decimal(0), False)


def test_unexpanded_discount_ids_and_coupon_ids_are_ignored() -> None:
    sub = _subscription()
    sub["discounts"] = ["di_1Pgc6rB7WZ01zgkW7Al8Fal9", _discount("Z4OV52SU", under="source")]
    assert subscription_mrr(sub).monthly == 2000


def test_discount_sent_both_as_discount_and_in_discounts_counts_once() -> None:
    discount = _discount(_coupon(percent_off=50), under="coupon")
    sub = _subscription()
    sub.update(discount=discount, discounts=[discount])
    assert subscription_mrr(sub).monthly == 1000


# --- what MRR leaves to others ---------------------------------------------------------------


def test_tax_is_excluded() -> None:
    sub = _subscription()
    sub["automatic_tax"] = {"enabled": True, "liability": None, "disabled_reason": None}
    sub["default_tax_rates"] = [{"id": "txr_1", "percentage": 20.0, "inclusive": False}]
    sub["items"]["data"][0]["price"]["tax_behavior"] = "exclusive"
    assert subscription_mrr(sub).monthly == 2000


def test_status_is_not_decided_here() -> None:
    sub = _subscription()
    sub["status"] = "canceled"
    assert subscription_mrr(sub).monthly == 2000


@pytest.mark.parametrize(
    ("patch", "reason"),
    [
        ({"recurring": {"interval": "fortnight"}}, "interval must be day, week, month or year"),
        ({"unit_amount_decimal": "lots"}, "price.unit_amount_decimal must be a number"),
        ({"unit_amount": True, "unit_amount_decimal": None}, "unit_amount must be a number"),
        ({"recurring": None}, "recurring must be an object"),
    ],
)
def test_unreadable_price_is_malformed(patch: Json, reason: str) -> None:
    sub = _subscription()
    sub["items"]["data"][0]["price"].update(patch)
    with pytest.raises(MalformedEvent, match=reason):
        subscription_mrr(sub)


def test_importing_mrr_loads_no_database_network_or_stripe_library() -> None:
    forbidden = ("sqlalchemy", "psycopg", "asyncpg", "redis", "stripe", "dramatiq")
    probe = (
        "import json, sys\nimport workers.payloads.mrr\n"
        f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & {set(forbidden)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []
