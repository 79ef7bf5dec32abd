"""A subscription's monthly recurring revenue (MRR) from its payload alone: each item's fixed
price normalised to a month, less the subscription's discounts, tax excluded. Whether the
subscription is paying at all (its status) is decided elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from workers.payloads.errors import MalformedEvent
from workers.payloads.fields import optional_int, optional_str, subscription_items

# What one interval's amount is worth per month: a month is 30 days or 4 weeks.
PER_MONTH_OF_INTERVAL: dict[str, Fraction] = {
    "day": Fraction(30),
    "week": Fraction(4),
    "month": Fraction(1),
    "year": Fraction(1, 12),
}


@dataclass(frozen=True)
class Mrr:
    """`monthly` is in minor units of `currency` and unrounded: rounding happens once per
    currency, when MRRs are summed. `not_counted`: some item's price has no fixed amount
    (tiered, metered), so it contributed 0."""

    currency: str | None
    monthly: Decimal
    not_counted: bool


@dataclass(frozen=True)
class _Price:
    """What MRR needs of a `price`, or of the `plan` older API versions send instead."""

    amount: Fraction | None  # per interval; None when the price has no fixed amount
    per_month: Fraction  # turns one invoice's amount into a month's
    currency: str | None


def subscription_mrr(subscription: dict[str, Any]) -> Mrr:
    """Exact arithmetic (Fraction) throughout, so the one inexact step is the final Decimal."""
    items = subscription_items(subscription)
    prices = [_price_of(item) for item in items]
    currency = _lower(subscription, "currency") or (prices[0].currency if prices else None)
    total = Fraction(0)
    for item, price in zip(items, prices, strict=True):
        if price.amount is not None:
            quantity = optional_int(item, "quantity")
            total += price.amount * (1 if quantity is None else quantity) * price.per_month
    coupons = _coupons(subscription)
    for coupon in coupons:
        percent_off = _number(coupon, "percent_off", "coupon")
        if percent_off is not None:
            total *= 1 - percent_off / 100
    invoice_per_month = prices[0].per_month if prices else Fraction(1)
    for coupon in coupons:
        amount_off = _number(coupon, "amount_off", "coupon")
        if amount_off is not None and currency and _lower(coupon, "currency") == currency:
            total -= amount_off * invoice_per_month
    total = max(total, Fraction(0))
    return Mrr(
        currency=currency,
        monthly=Decimal(total.numerator) / Decimal(total.denominator),
        not_counted=any(price.amount is None for price in prices),
    )


def _price_of(item: dict[str, Any]) -> _Price:
    """The item's `price` when it has one; a plan keeps its recurring fields at its top level."""
    price = item.get("price")
    if isinstance(price, dict):
        recurring = price.get("recurring")
        if not isinstance(recurring, dict):
            raise MalformedEvent("subscription item price.recurring must be an object")
        return _read_price(price, recurring, "price", "unit_amount")
    plan = item.get("plan")
    if isinstance(plan, dict):
        return _read_price(plan, plan, "plan", "amount")
    raise MalformedEvent("subscription item has neither a price nor a plan object")


def _read_price(
    price: dict[str, Any], recurring: dict[str, Any], name: str, amount_key: str
) -> _Price:
    interval = recurring.get("interval")
    if interval not in PER_MONTH_OF_INTERVAL:
        raise MalformedEvent(f"{name} interval must be day, week, month or year: {interval!r}")
    interval_count = optional_int(recurring, "interval_count") or 1
    if interval_count < 1:
        raise MalformedEvent(f"{name} interval_count must be positive: {interval_count}")
    amount = None
    if price.get("billing_scheme") != "tiered" and recurring.get("usage_type") != "metered":
        amount = _number(price, f"{amount_key}_decimal", name)
        if amount is None:
            amount = _number(price, amount_key, name)
    return _Price(
        amount=amount,
        per_month=PER_MONTH_OF_INTERVAL[interval] / interval_count,
        currency=_lower(price, "currency"),
    )


def _coupons(subscription: dict[str, Any]) -> list[dict[str, Any]]:
    """The coupons of `discount` (older API versions) and `discounts` (newer), each discount
    once; ids and coupons that are only ids are not expanded, so they say nothing."""
    single = subscription.get("discount")
    many = subscription.get("discounts")
    if single is not None and not isinstance(single, dict):
        raise MalformedEvent("subscription discount must be an object")
    if many is not None and not isinstance(many, list):
        raise MalformedEvent("subscription discounts must be a list")
    coupons: list[dict[str, Any]] = []
    seen_ids: set[str] = set()
    for discount in [single, *(many or [])]:
        if not isinstance(discount, dict):
            continue
        discount_id = discount.get("id")
        if isinstance(discount_id, str):
            if discount_id in seen_ids:
                continue
            seen_ids.add(discount_id)
        coupon = discount.get("coupon")
        source = discount.get("source")
        if coupon is None and isinstance(source, dict):
            coupon = source.get("coupon")
        if isinstance(coupon, dict):
            coupons.append(coupon)
    return coupons


def _number(obj: dict[str, Any], key: str, name: str) -> Fraction | None:
    """An amount or percentage, exactly: from its JSON text, so 33.33 is 3333/100."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return Fraction(str(value))
        except ValueError:
            pass
    raise MalformedEvent(f"{name}.{key} must be a number: {value!r}")


def _lower(obj: dict[str, Any], key: str) -> str | None:
    return (optional_str(obj, key) or "").lower() or None
