"""The fake answers the real stripe-python 16 client the way Stripe's API does."""

from __future__ import annotations

from typing import Any, cast

import pytest
import stripe

from tests import stripe_events as se
from tests.fakes.params import parse_query
from tests.fakes.stripe_api import FakeStripe

T0 = 1_700_000_000


def client_for(fake: FakeStripe, **options: Any) -> stripe.StripeClient:
    """A real client aimed at the fake; no retries, so every injected fault is seen."""
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient(fake.api_key, base_addresses={"api": fake.base_url}, **options)


def add_subs(fake: FakeStripe, n: int, *, status: str = "active", created_step: int = 1) -> None:
    for i in range(n):
        fake.add_subscription(
            se.subscription(
                f"sub_{status}_{i:05d}", customer=f"cus_{i % 7}", status=status,
                products=["prod_a"], period_end=T0 + 40 * 86_400, created=T0 + i * created_step,
            )
        )  # fmt: skip


def sub_ids(page: Any) -> list[str]:
    return [s.id for s in page.auto_paging_iter()]


def test_auto_pagination_reaches_2500_subscriptions_exactly_once(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 2_400, created_step=0)  # equal `created`: ties broken by id
    add_subs(fake_stripe, 100, status="canceled")
    client = client_for(fake_stripe)

    ids = sub_ids(client.v1.subscriptions.list(params={"limit": 100, "status": "all"}))

    assert len(ids) == 2_500 and len(set(ids)) == 2_500
    pages = [p for m, path, p in fake_stripe.request_log if path == "/v1/subscriptions"]
    assert len(pages) == 25 and all(p["limit"] == "100" for p in pages)
    assert [p.get("starting_after") for p in pages[1:3]] == [ids[99], ids[199]]


def test_lists_are_newest_first_with_has_more(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 5)
    page = client_for(fake_stripe).v1.subscriptions.list(params={"limit": 3})
    assert [s.id for s in page.data] == ["sub_active_00004", "sub_active_00003", "sub_active_00002"]
    assert page.has_more is True and page.url == "/v1/subscriptions"
    assert page.next_page().has_more is False


def test_ending_before_pages_backwards(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 5)
    client = client_for(fake_stripe)
    page = client.v1.subscriptions.list(params={"limit": 2, "ending_before": "sub_active_00001"})
    assert [s.id for s in page.data] == ["sub_active_00003", "sub_active_00002"]
    assert page.has_more is True


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ({"gte": T0 + 2}, [4, 3, 2]),
        ({"gt": T0 + 2}, [4, 3]),
        ({"lte": T0 + 1}, [1, 0]),
        ({"lt": T0 + 1, "gte": T0}, [0]),
        ({"gte": T0 + 1, "lte": T0 + 3}, [3, 2, 1]),
        (T0 + 2, [2]),
    ],
)
def test_created_filters(fake_stripe: FakeStripe, created: Any, expected: list[int]) -> None:
    add_subs(fake_stripe, 5)
    page = client_for(fake_stripe).v1.subscriptions.list(params={"created": created})
    assert sub_ids(page) == [f"sub_active_{i:05d}" for i in expected]


def test_canceled_subscriptions_are_listed_only_when_asked(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 2)
    add_subs(fake_stripe, 3, status="canceled")
    subscriptions = client_for(fake_stripe).v1.subscriptions
    assert len(sub_ids(subscriptions.list())) == 2
    assert len(sub_ids(subscriptions.list(params={"status": "all"}))) == 5
    assert len(sub_ids(subscriptions.list(params={"status": "canceled"}))) == 3
    assert sub_ids(subscriptions.list(params={"customer": "cus_1"})) == ["sub_active_00001"]
    by_customer = subscriptions.list(params={"customer": "cus_1", "status": "all"})
    assert sub_ids(by_customer) == ["sub_canceled_00001", "sub_active_00001"]


def test_a_cursor_that_left_the_filter_still_pages_on(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 6)
    subscriptions = client_for(fake_stripe).v1.subscriptions
    first = subscriptions.list(params={"limit": 3})
    fake_stripe.update(first.data[-1].id, status="canceled")
    assert [s.id for s in first.next_page().data] == [f"sub_active_{i:05d}" for i in (2, 1, 0)]


def _purchase(fake: FakeStripe, n: int, created: int) -> None:
    fake.add_charge(se.charge(f"ch_{n}", payment_intent=f"pi_{n}", amount=900, amount_refunded=300))
    fake.add_payment_intent(
        se.payment_intent(f"pi_{n}", amount=900, latest_charge=f"ch_{n}", created=created)
    )


def test_expand_latest_charge_on_payment_intents(fake_stripe: FakeStripe) -> None:
    for n in range(3):
        _purchase(fake_stripe, n, T0 + n)
    intents = client_for(fake_stripe).v1.payment_intents
    plain = intents.list()
    assert [pi.latest_charge for pi in plain.data] == ["ch_2", "ch_1", "ch_0"]

    expanded = intents.list(params={"limit": 2, "expand": ["data.latest_charge"]})
    charges = [cast(stripe.Charge, pi.latest_charge) for pi in expanded.auto_paging_iter()]
    assert [c.id for c in charges] == ["ch_2", "ch_1", "ch_0"]
    assert all(c.amount_refunded == 300 and c.object == "charge" for c in charges)
    one = intents.retrieve("pi_1", params={"expand": ["latest_charge"]})
    assert cast(stripe.Charge, one.latest_charge).id == "ch_1"
    assert fake_stripe.request_log[-1][2] == {"expand": ["latest_charge"]}


def test_events_filter_by_type_types_and_created(fake_stripe: FakeStripe) -> None:
    kinds = ["customer.subscription.updated", "invoice.paid", "customer.subscription.deleted"]
    for n, kind in enumerate(kinds * 2):
        fake_stripe.add_event(
            se.event(kind, {"id": f"obj_{n}"}, created=T0 + n, event_id=f"evt_{n}")
        )
    events = client_for(fake_stripe).v1.events

    def ids(**params: Any) -> list[str]:
        return [e.id for e in events.list(params=cast(Any, params)).auto_paging_iter()]

    assert ids() == [f"evt_{n}" for n in (5, 4, 3, 2, 1, 0)]
    assert ids(type="invoice.paid") == ["evt_4", "evt_1"]
    assert ids(type="customer.subscription.*") == ["evt_5", "evt_3", "evt_2", "evt_0"]
    assert ids(types=["invoice.paid", "customer.subscription.deleted"]) == [
        "evt_5", "evt_4", "evt_2", "evt_1",
    ]  # fmt: skip
    assert ids(created={"gte": T0 + 3}, limit=1) == ["evt_5", "evt_4", "evt_3"]
    assert events.retrieve("evt_2").type == "customer.subscription.deleted"


def test_retrieve_each_kind_of_object(fake_stripe: FakeStripe) -> None:
    _purchase(fake_stripe, 1, T0)
    add_subs(fake_stripe, 1, status="canceled")
    fake_stripe.add_customer(se.customer("cus_1", metadata={"user_id": "u1"}))
    session = se.checkout_session("cs_1", mode="payment", customer="cus_1", payment_intent="pi_1")
    items = [se.checkout_line_item(p, amount=500) for p in ("prod_x", "prod_y", "prod_z")]
    fake_stripe.add_checkout_session(session, line_items=items)
    v1 = client_for(fake_stripe).v1

    assert v1.subscriptions.retrieve("sub_canceled_00000").status == "canceled"
    assert v1.payment_intents.retrieve("pi_1").amount == 900
    assert v1.charges.retrieve("ch_1").refunded is False
    metadata = v1.customers.retrieve("cus_1").metadata
    assert metadata is not None and metadata["user_id"] == "u1"
    assert v1.checkout.sessions.retrieve("cs_1").payment_intent == "pi_1"
    lines = v1.checkout.sessions.line_items.list("cs_1", params={"limit": 2})
    products = [li.price and li.price.product for li in lines.auto_paging_iter()]
    assert products == ["prod_x", "prod_y", "prod_z"]


def test_unknown_id_is_resource_missing(fake_stripe: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client_for(fake_stripe).v1.subscriptions.retrieve("sub_nope")
    assert caught.value.http_status == 404 and caught.value.code == "resource_missing"
    assert "sub_nope" in str(caught.value.user_message)


@pytest.mark.parametrize(
    "params", [{"limit": 101}, {"limit": "x"}, {"price": "price_a"}, {"status": "weird"}]
)
def test_bad_list_parameters_are_refused(fake_stripe: FakeStripe, params: dict[str, Any]) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client_for(fake_stripe).v1.subscriptions.list(params=cast(Any, params))
    assert caught.value.http_status == 400


def test_update_changes_what_the_api_returns(fake_stripe: FakeStripe) -> None:
    add_subs(fake_stripe, 1)
    fake_stripe.update("sub_active_00000", status="past_due", cancel_at_period_end=True)
    sub = client_for(fake_stripe).v1.subscriptions.retrieve("sub_active_00000")
    assert (sub.status, sub.cancel_at_period_end) == ("past_due", True)


def test_global_api_base_works_too(
    fake_stripe: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_subs(fake_stripe, 2)
    monkeypatch.setattr(stripe, "api_base", fake_stripe.base_url)
    page = stripe.Subscription.list(api_key=fake_stripe.api_key, limit=1)
    assert [s.id for s in page.auto_paging_iter()] == ["sub_active_00001", "sub_active_00000"]


def test_query_decoding_accepts_every_list_spelling() -> None:
    query = "expand[0]=a&expand[1]=b&types[]=x&created[gte]=5&created[lt]=9&limit=3&expand[]=c"
    assert parse_query(query) == {
        "expand": ["a", "b", "c"],
        "types": ["x"],
        "created": {"gte": "5", "lt": "9"},
        "limit": "3",
    }
