"""The event builders give each API version's payload shape, with no Stripe placeholders left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import stripe_events as se
from tests.support.processes import REPO_ROOT

PERIOD_END = 1_702_592_000


def _sub(shape: str, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(
        customer="cus_1", status="active", products=["prod_a", "prod_b"], period_end=PERIOD_END
    )
    args.update(overrides)
    return se.subscription("sub_1", shape=shape, **args)


def _walk(value: Any) -> list[Any]:
    """Every scalar in a JSON tree, to search it for placeholders."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk(v)]
    if isinstance(value, list):
        return [s for v in value for s in _walk(v)]
    return [value]


def test_fixtures_come_from_the_repository_itself() -> None:
    """A fresh clone has nothing beside it: every fixture the tests read is in tests/fixtures."""
    repo = REPO_ROOT
    assert se.fixtures_path().is_relative_to(repo / "tests" / "fixtures")
    assert se.fixtures_path().is_file()
    assert se.REAL_EVENTS_PATH.is_relative_to(repo / "tests" / "fixtures")
    assert se.REAL_EVENTS_PATH.is_file()


def test_stripe_fixtures_env_var_overrides_the_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STRIPE_FIXTURES", str(tmp_path / "elsewhere.json"))
    assert se.fixtures_path() == tmp_path / "elsewhere.json"


def test_new_shape_subscription_has_periods_on_items_only() -> None:
    sub = _sub("new")
    assert "current_period_end" not in sub and "current_period_start" not in sub
    items = sub["items"]["data"]
    assert [i["price"]["product"] for i in items] == ["prod_a", "prod_b"]
    assert all(i["current_period_end"] == PERIOD_END for i in items)
    assert all(i["current_period_start"] < PERIOD_END for i in items)
    assert all(i["subscription"] == "sub_1" for i in items)


def test_old_shape_subscription_has_period_on_subscription_and_price_and_plan() -> None:
    sub = _sub("old")
    assert sub["current_period_end"] == PERIOD_END
    assert sub["current_period_start"] < PERIOD_END
    for item, product in zip(sub["items"]["data"], ["prod_a", "prod_b"], strict=True):
        assert "current_period_end" not in item
        assert item["price"]["product"] == product
        assert item["plan"]["product"] == product


def test_plan_shape_subscription_items_have_plans_and_no_prices() -> None:
    sub = _sub("plan", products=["prod_gold"])
    (item,) = sub["items"]["data"]
    assert "price" not in item
    assert item["plan"]["product"] == "prod_gold" and item["plan"]["currency"] == "usd"
    assert sub["plan"]["product"] == "prod_gold" and sub["quantity"] == 1
    assert sub["current_period_end"] == PERIOD_END


def test_subscription_fields_follow_the_arguments() -> None:
    sub = _sub(
        "new", status="trialing", metadata={"user_id": "u1"}, cancel_at_period_end=True, created=5
    )
    assert (sub["id"], sub["customer"], sub["status"], sub["created"]) == (
        "sub_1",
        "cus_1",
        "trialing",
        5,
    )
    assert sub["metadata"] == {"user_id": "u1"}
    assert sub["cancel_at_period_end"] is True and sub["cancel_at"] == PERIOD_END
    assert sub["trial_end"] == PERIOD_END
    assert sub["canceled_at"] is None and sub["ended_at"] is None


def test_canceled_subscription_has_canceled_at_and_ended_at() -> None:
    sub = _sub("old", status="canceled")
    assert sub["canceled_at"] and sub["ended_at"]


def test_item_ids_are_stable_and_distinct() -> None:
    first, second = _sub("new")["items"]["data"]
    assert first["id"] != second["id"]
    assert first["id"] == _sub("new")["items"]["data"][0]["id"]


def test_new_shape_invoice_names_its_subscription_under_parent() -> None:
    inv = se.invoice(
        "in_1", customer="cus_1", subscription_id="sub_1", paid=True, payment_intent="pi_1"
    )
    assert inv["parent"] == {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_1", "metadata": {}},
        "quote_details": None,
    }
    assert "subscription" not in inv and "payment_intent" not in inv and "paid" not in inv
    assert inv["status"] == "paid" and inv["amount_paid"] == 2000 and inv["attempted"] is True


def test_old_shape_invoice_has_top_level_subscription_and_payment_intent() -> None:
    inv = se.invoice(
        "in_1", customer="cus_1", subscription_id="sub_1", paid=False, payment_intent="pi_1",
        amount=999, currency="eur", shape="old",
    )  # fmt: skip
    assert "parent" not in inv
    assert (inv["subscription"], inv["payment_intent"]) == ("sub_1", "pi_1")
    assert inv["paid"] is False and inv["status"] == "open"
    assert (inv["amount_due"], inv["amount_paid"], inv["currency"]) == (999, 0, "eur")


def test_invoice_without_subscription_has_no_parent() -> None:
    inv = se.invoice("in_1", customer="cus_1", subscription_id=None, paid=True)
    assert inv["parent"] is None


def test_payment_intent_has_invoice_only_in_old_shape() -> None:
    new = se.payment_intent("pi_1", amount=500, metadata={"user_id": "u1"}, latest_charge="ch_1")
    old = se.payment_intent("pi_1", amount=500, invoice="in_1", shape="old")
    assert "invoice" not in new
    assert old["invoice"] == "in_1"
    assert new["status"] == "succeeded" and new["amount_received"] == 500
    assert new["latest_charge"] == "ch_1" and new["metadata"] == {"user_id": "u1"}
    assert new["last_payment_error"] is None


def test_failed_payment_intent_carries_a_decline() -> None:
    pi = se.payment_intent("pi_1", amount=500, status="requires_payment_method")
    assert pi["amount_received"] == 0
    assert pi["last_payment_error"]["code"] == "card_declined"


@pytest.mark.parametrize(("refunded_minor", "fully"), [(0, False), (200, False), (500, True)])
def test_charge_is_refunded_only_when_the_whole_amount_is(refunded_minor: int, fully: bool) -> None:
    ch = se.charge("ch_1", payment_intent="pi_1", amount=500, amount_refunded=refunded_minor)
    assert ch["refunded"] is fully
    assert ch["amount_refunded"] == refunded_minor
    assert (ch["paid"], ch["captured"], ch["status"]) == (True, True, "succeeded")
    assert sum(r["amount"] for r in ch["refunds"]["data"]) == refunded_minor


def test_checkout_session_is_complete() -> None:
    cs = se.checkout_session(
        "cs_1", mode="payment", customer="cus_1", payment_intent="pi_1",
        metadata={"project_id": "p"}, client_reference_id="u1", amount_total=500,
    )  # fmt: skip
    assert (cs["status"], cs["payment_status"], cs["mode"]) == ("complete", "paid", "payment")
    assert (cs["payment_intent"], cs["subscription"], cs["client_reference_id"]) == (
        "pi_1",
        None,
        "u1",
    )
    assert cs["amount_total"] == 500 and cs["metadata"] == {"project_id": "p"}


def test_line_item_and_customer_name_what_they_are_given() -> None:
    item = se.checkout_line_item("prod_x", amount=700)
    assert item["price"]["product"] == "prod_x" and item["amount_total"] == 700
    cus = se.customer("cus_1", metadata={"user_id": "u1"}, email="a@example.com")
    assert cus["id"] == "cus_1" and cus["metadata"] == {"user_id": "u1"}


def test_event_wraps_a_copy_of_the_object() -> None:
    sub = _sub("new")
    evt = se.event("customer.subscription.created", sub, created=1_700_000_100)
    assert evt["object"] == "event" and evt["type"] == "customer.subscription.created"
    assert evt["api_version"] == se.NEW_API and evt["created"] == 1_700_000_100
    assert evt["livemode"] is False and evt["pending_webhooks"] == 1
    assert evt["data"] == {"object": sub} and evt["data"]["object"] is not sub
    assert set(evt) >= {"id", "object", "api_version", "created", "data", "request", "type"}


def test_event_ids_are_generated_unique_or_taken_as_given() -> None:
    ids = {se.event("x.y", {}, created=1)["id"] for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("evt_") and len(i) == 28 for i in ids)
    assert se.event("x.y", {}, created=1, event_id="evt_given")["id"] == "evt_given"


def test_api_version_follows_the_shape() -> None:
    assert [se.api_version_for(s) for s in se.SHAPES] == [se.NEW_API, se.OLD_API, se.PLAN_API]
    evt = se.event("x.y", {}, created=1, api_version=se.api_version_for("plan"))
    assert evt["api_version"] == "2017-08-15"
    with pytest.raises(ValueError, match="shape"):
        se.subscription(
            "sub_1", customer="c", status="active", products=["p"], period_end=1, shape="x"
        )


def test_to_body_is_compact_json_that_round_trips() -> None:
    evt = se.event(
        "invoice.paid", se.invoice("in_1", customer="c", subscription_id=None, paid=True), created=1
    )
    body = se.to_body(evt)
    assert ", " not in body[:200] and json.loads(body) == evt


@pytest.mark.parametrize("shape", se.SHAPES)
def test_no_stripe_placeholders_survive(shape: str) -> None:
    objects = [
        _sub(shape),
        se.invoice("in_1", customer="c", subscription_id="s", paid=True, shape=shape),
        se.payment_intent("pi_1", amount=1, shape=shape),
        se.charge("ch_1", payment_intent="pi_1", amount=1, amount_refunded=1),
        se.checkout_session("cs_1", mode="subscription", customer="c", subscription="s"),
        se.customer("cus_1"),
        se.checkout_line_item("prod_x", amount=1),
    ]
    scalars = _walk(objects)
    assert "obj_123" not in scalars and "currency" not in scalars
    assert 1234567890 not in scalars
