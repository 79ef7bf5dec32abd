"""Stripe objects for tests, each from Stripe's own example in ``fixtures3.json`` (so new
fields Stripe adds show up in our tests), its placeholders replaced with coherent values, and
reshaped for the API version under test (``shape``: see fixtures.py)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from tests.stripe_events.fixtures import Json, check_shape, fixture

_MONTH_S = 30 * 86_400
_UNIT_AMOUNT_MINOR = 2000


def _derived_id(prefix: str, *parts: object) -> str:
    """A stable id for a nested object, so equal inputs build equal payloads."""
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:14]
    return f"{prefix}_{digest}"


def price_id_for(product: str) -> str:
    """The monthly price (and, in 2017-era terms, plan) id we give a product."""
    return f"price_{product.removeprefix('prod_')}"


def _price(product: str, created: int, currency: str = "usd") -> Json:
    price = fixture("price")
    price.update(id=price_id_for(product), product=product, created=created, currency=currency)
    price.update(unit_amount=_UNIT_AMOUNT_MINOR, unit_amount_decimal=str(_UNIT_AMOUNT_MINOR))
    return price


def _plan(product: str, created: int, currency: str = "usd") -> Json:
    plan = fixture("plan")
    plan.update(id=price_id_for(product), product=product, created=created, currency=currency)
    plan.update(amount=_UNIT_AMOUNT_MINOR, amount_decimal=str(_UNIT_AMOUNT_MINOR))
    return plan


def _period_start(created: int, period_end: int) -> int:
    return max(created, period_end - _MONTH_S) if created <= period_end else period_end - _MONTH_S


def _subscription_item(
    sub_id: str, product: str, created: int, period_end: int, shape: str
) -> Json:
    item = fixture("subscription_item")
    item.update(id=_derived_id("si", sub_id, product), subscription=sub_id, created=created)
    item.update(metadata={}, quantity=1, discounts=[], tax_rates=[])
    item["plan"] = _plan(product, created)
    if shape == "plan":
        del item["price"]
    else:
        item["price"] = _price(product, created)
    if shape == "new":
        item["current_period_start"] = _period_start(created, period_end)
        item["current_period_end"] = period_end
    else:
        item.pop("current_period_start", None)
        item.pop("current_period_end", None)
    return item


def subscription(
    sub_id: str,
    *,
    customer: str,
    status: str,
    products: list[str],
    period_end: int,
    created: int = 1_700_000_000,
    metadata: dict[str, Any] | None = None,
    cancel_at_period_end: bool = False,
    shape: str = "new",
) -> Json:
    """A subscription with one item per product; the period sits where ``shape`` puts it."""
    check_shape(shape)
    items = [_subscription_item(sub_id, p, created, period_end, shape) for p in products]
    sub = fixture("subscription")
    sub.update(id=sub_id, customer=customer, status=status, created=created, start_date=created)
    sub.update(billing_cycle_anchor=created, metadata=dict(metadata or {}))
    sub.update(cancel_at_period_end=cancel_at_period_end)
    sub["cancel_at"] = period_end if cancel_at_period_end else None
    ended = period_end if status == "canceled" else None
    sub.update(canceled_at=ended, ended_at=ended)
    trialing = status == "trialing"
    sub.update(
        trial_start=created if trialing else None, trial_end=period_end if trialing else None
    )
    sub["billing_schedules"] = []
    sub["items"] = {
        "object": "list",
        "data": items,
        "has_more": False,
        "total_count": len(items),
        "url": f"/v1/subscription_items?subscription={sub_id}",
    }
    sub["plan"] = copy.deepcopy(items[0]["plan"]) if len(items) == 1 else None
    sub["quantity"] = 1 if len(items) == 1 else None
    if shape == "new":
        sub.pop("current_period_start", None)
        sub.pop("current_period_end", None)
    else:
        sub["current_period_start"] = _period_start(created, period_end)
        sub["current_period_end"] = period_end
    return sub


def invoice(
    invoice_id: str,
    *,
    customer: str,
    subscription_id: str | None,
    paid: bool,
    amount: int = 2000,
    currency: str = "usd",
    payment_intent: str | None = None,
    created: int = 1_700_000_000,
    shape: str = "new",
) -> Json:
    """A finalized invoice, ``paid`` or ``open`` after a failed attempt.

    New shape: the subscription is under ``parent.subscription_details``; the
    PaymentIntent is only reachable through the expandable ``payments`` list,
    which webhooks do not include, so ``payment_intent`` is dropped.
    """
    check_shape(shape)
    inv = fixture("invoice")
    inv.update(id=invoice_id, customer=customer, created=created, currency=currency)
    inv.update(status="paid" if paid else "open", attempted=True, attempt_count=1)
    inv.update(amount_due=amount, amount_paid=amount if paid else 0)
    inv.update(amount_remaining=0 if paid else amount, amount_overpaid=0)
    inv.update(subtotal=amount, subtotal_excluding_tax=amount, total=amount)
    inv.update(total_excluding_tax=amount, period_start=created, period_end=created)
    inv.update(effective_at=created, webhooks_delivered_at=created)
    inv.update(billing_reason="subscription_cycle" if subscription_id else "manual")
    inv["next_payment_attempt"] = None if paid else created + 86_400
    inv["status_transitions"] = {
        "finalized_at": created,
        "marked_uncollectible_at": None,
        "paid_at": created if paid else None,
        "voided_at": None,
    }
    inv["lines"] = _invoice_lines(invoice_id, subscription_id, amount, currency, created)
    inv.pop("subscription", None)
    inv.pop("payment_intent", None)
    if shape == "new":
        inv["parent"] = _invoice_parent(subscription_id)
    else:
        inv.pop("parent", None)
        inv.update(subscription=subscription_id, payment_intent=payment_intent, paid=paid)
    return inv


def _invoice_parent(subscription_id: str | None) -> Json | None:
    if subscription_id is None:
        return None
    return {
        "type": "subscription_details",
        "subscription_details": {"subscription": subscription_id, "metadata": {}},
        "quote_details": None,
    }


def _invoice_lines(
    invoice_id: str, subscription_id: str | None, amount: int, currency: str, created: int
) -> Json:
    line = fixture("line_item")
    line.update(id=_derived_id("il", invoice_id), invoice=invoice_id, amount=amount)
    line.update(currency=currency, subtotal=amount, subscription=subscription_id)
    line["description"] = "1 × subscription" if subscription_id else "One-off invoice item"
    line["period"] = {"start": created, "end": created + _MONTH_S}
    kind = "subscription_item_details" if subscription_id else "invoice_item_details"
    details: Json = {"invoice_item": None if subscription_id else _derived_id("ii", invoice_id)}
    details.update(proration=False, proration_details=None, subscription=subscription_id)
    if subscription_id:
        details["subscription_item"] = None
    line["parent"] = {"type": kind, kind: details}
    url = f"/v1/invoices/{invoice_id}/lines"
    return {"object": "list", "data": [line], "has_more": False, "total_count": 1, "url": url}


_DECLINE = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
}


def payment_intent(
    pi_id: str,
    *,
    amount: int,
    currency: str = "usd",
    status: str = "succeeded",
    customer: str | None = None,
    metadata: dict[str, Any] | None = None,
    invoice: str | None = None,
    latest_charge: str | None = None,
    created: int = 1_700_000_000,
    shape: str = "new",
) -> Json:
    """A PaymentIntent; ``requires_payment_method`` carries a card decline (a failed try).

    Only the old shapes have an ``invoice`` field; API 2025-03-31 removed it.
    """
    check_shape(shape)
    pi = fixture("payment_intent")
    pi.update(id=pi_id, amount=amount, currency=currency, status=status, customer=customer)
    pi.update(metadata=dict(metadata or {}), latest_charge=latest_charge, created=created)
    pi.update(amount_received=amount if status == "succeeded" else 0)
    pi["client_secret"] = f"{pi_id}_secret_test"
    failed = status == "requires_payment_method"
    pi["last_payment_error"] = copy.deepcopy(_DECLINE) if failed else None
    pi.pop("invoice", None)
    if shape != "new":
        pi["invoice"] = invoice
    return pi


def charge(
    charge_id: str,
    *,
    payment_intent: str | None,
    amount: int,
    amount_refunded: int = 0,
    currency: str = "usd",
    customer: str | None = None,
    created: int = 1_700_000_000,
) -> Json:
    """A captured card charge, with one refund object when anything was refunded."""
    ch = fixture("charge")
    ch.update(id=charge_id, payment_intent=payment_intent, amount=amount, currency=currency)
    ch.update(amount_captured=amount, amount_refunded=amount_refunded, customer=customer)
    ch.update(created=created, refunded=amount_refunded == amount, paid=True, captured=True)
    ch.update(status="succeeded", receipt_url=f"https://pay.stripe.com/receipts/{charge_id}")
    ch["outcome"] = {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "seller_message": "Payment complete.",
        "type": "authorized",
    }
    refunds = []
    if amount_refunded:
        refund = fixture("refund")
        refund.update(id=_derived_id("re", charge_id, amount_refunded), amount=amount_refunded)
        refund.update(charge=charge_id, payment_intent=payment_intent, currency=currency)
        refund.update(created=created, customer=customer, status="succeeded")
        refunds.append(refund)
    url = f"/v1/charges/{charge_id}/refunds"
    ch["refunds"] = {"object": "list", "data": refunds, "has_more": False, "url": url}
    return ch


def checkout_session(
    session_id: str,
    *,
    mode: str,
    customer: str | None,
    payment_intent: str | None = None,
    subscription: str | None = None,
    metadata: dict[str, Any] | None = None,
    client_reference_id: str | None = None,
    amount_total: int | None = None,
    currency: str = "usd",
    payment_status: str = "paid",
    created: int = 1_700_000_000,
) -> Json:
    """A completed Checkout Session (``mode`` is ``payment`` or ``subscription``)."""
    cs = fixture("checkout.session")
    cs.update(id=session_id, mode=mode, customer=customer, payment_intent=payment_intent)
    cs.update(subscription=subscription, metadata=dict(metadata or {}), currency=currency)
    cs.update(client_reference_id=client_reference_id, payment_status=payment_status)
    cs.update(amount_total=amount_total, amount_subtotal=amount_total, status="complete")
    cs.update(created=created, expires_at=created + 86_400)
    cs["total_details"] = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    cs["custom_text"] = dict.fromkeys(cs["custom_text"])
    cs["invoice_creation"] = None if mode == "subscription" else {"enabled": False}
    return cs


def checkout_line_item(
    product: str,
    *,
    amount: int,
    currency: str = "usd",
    quantity: int = 1,
    created: int = 1_700_000_000,
) -> Json:
    """One line of ``GET /v1/checkout/sessions/{id}/line_items``, its price naming ``product``."""
    item = fixture("item")
    price = _price(product, created, currency)
    price.update(type="one_time", recurring=None, unit_amount=amount // max(quantity, 1))
    price["unit_amount_decimal"] = str(price["unit_amount"])
    item.update(id=_derived_id("li", product, amount), price=price, quantity=quantity)
    item.update(amount_subtotal=amount, amount_total=amount, currency=currency)
    item.update(description=product, metadata={}, adjustable_quantity=None)
    return item


def customer(
    customer_id: str,
    *,
    metadata: dict[str, Any] | None = None,
    email: str | None = None,
    created: int = 1_700_000_000,
) -> Json:
    """A customer; ``metadata`` may name its owner (``project_id``, ``user_id``)."""
    cus = fixture("customer")
    cus.update(id=customer_id, metadata=dict(metadata or {}), email=email, created=created)
    cus["invoice_prefix"] = customer_id[-8:].upper()
    return cus
