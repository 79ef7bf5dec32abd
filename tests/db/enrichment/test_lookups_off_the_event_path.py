"""Stripe look-ups never run inside an event's processing: the event applies at once with what
it carries, and the look-up's result (a customer's owner, a session's product) arrives later
through the same rules. A Stripe API that is down or slow delays no event."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine

from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe
from tests.stripe_events import T0, owner_metadata
from tests.support.state import customer_row, deliver, entitlements_of
from tests.support.stripe_account import fake_stripe_settings
from workers.bootstrap import WorkerParts, build_worker_parts
from workers.enrichment import Enricher
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Inbox

Asked = list[tuple[str, tuple[Any, ...]]]


@pytest.fixture
def parts(fake_stripe: FakeStripe, clean_db: Engine) -> Iterator[WorkerParts]:
    built = build_worker_parts(fake_stripe_settings(fake_stripe))
    yield built
    built.engine.dispose()


@pytest.fixture
def asked() -> Asked:
    return []


@pytest.fixture
def inbox(parts: WorkerParts, asked: Asked) -> Inbox:
    """A keyed worker's inbox whose look-up requests are recorded instead of queued."""
    deps = HandlerDeps(
        enrich_customer=lambda *args: asked.append(("customer", args)),
        enrich_session_product=lambda *args: asked.append(("session", args)),
    )
    return replace(parts.inbox, handlers=bind_handlers(deps))


def run_lookups(parts: WorkerParts, asked: Asked) -> None:
    """What the enrichment actors do with the queued requests, in order."""
    assert parts.stripe_client is not None
    enricher = Enricher(parts.uow, parts.stripe_client)
    for kind, args in asked:
        (enricher.customer_owner if kind == "customer" else enricher.session_product)(*args)


def ownerless_subscription(created: int) -> dict[str, Any]:
    sub = se.subscription("sub_L", customer="cus_L", status="active", products=["prod_L"],
                          period_end=1_900_000_000)  # fmt: skip
    return se.event("customer.subscription.updated", sub, created=created)


def test_the_customers_metadata_is_looked_up_after_the_event_and_links_its_owner(
    parts: WorkerParts, inbox: Inbox, asked: Asked, fake_stripe: FakeStripe, project: str
) -> None:
    fake_stripe.add_customer(se.customer("cus_L", metadata=owner_metadata("u-lookup")))

    assert deliver(inbox, parts.engine, ownerless_subscription(T0)) == "processed"
    assert deliver(inbox, parts.engine, ownerless_subscription(T0 + 1)) == "processed"
    assert fake_stripe.request_log == []  # nothing asked of Stripe while processing
    assert entitlements_of(parts.engine, "u-lookup") == {}
    assert asked == [("customer", ("cus_L", T0)), ("customer", ("cus_L", T0 + 1))]

    run_lookups(parts, asked)

    assert customer_row(parts.engine, "cus_L")["user_id"] == "u-lookup"
    assert set(entitlements_of(parts.engine, "u-lookup")) == {"prod_L"}
    lookups = [path for _, path, _ in fake_stripe.request_log]
    assert lookups == ["/v1/customers/cus_L"]  # linked by the first: the second asks nothing


def test_with_stripe_down_the_event_applies_at_once_and_the_lookup_fails_alone(
    parts: WorkerParts, inbox: Inbox, asked: Asked, fake_stripe: FakeStripe, project: str
) -> None:
    fake_stripe.fail_after(0, 500)

    assert deliver(inbox, parts.engine, ownerless_subscription(T0)) == "processed"
    with pytest.raises(Exception, match="500|Injected"):
        run_lookups(parts, asked)  # Dramatiq retries it later; the event is long done

    fake_stripe.clear_faults()
    fake_stripe.add_customer(se.customer("cus_L", metadata=owner_metadata("u-later")))
    run_lookups(parts, asked)
    assert set(entitlements_of(parts.engine, "u-later")) == {"prod_L"}


def test_a_session_without_product_id_becomes_a_purchase_of_its_line_items_product(
    parts: WorkerParts, inbox: Inbox, asked: Asked, fake_stripe: FakeStripe, project: str
) -> None:
    session = se.checkout_session(
        "cs_1", mode="payment", customer="cus_P", payment_intent="pi_1",
        metadata=owner_metadata("u-buyer"), amount_total=4900,
    )  # fmt: skip
    fake_stripe.add_checkout_session(session, [se.checkout_line_item("prod_book", amount=4900)])

    assert deliver(inbox, parts.engine, se.event("checkout.session.completed", session,
                                                 created=T0)) == "processed"  # fmt: skip
    assert entitlements_of(parts.engine, "u-buyer") == {}  # no product yet
    assert asked == [("session", ("cs_1", "pi_1", T0))]

    run_lookups(parts, asked)

    assert set(entitlements_of(parts.engine, "u-buyer")) == {"prod_book"}


def test_a_customer_whose_metadata_names_nobody_stays_unlinked_and_nothing_is_written(
    parts: WorkerParts,
    inbox: Inbox,
    asked: Asked,
    fake_stripe: FakeStripe,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_stripe.add_customer(se.customer("cus_L", metadata={}))
    assert deliver(inbox, parts.engine, ownerless_subscription(T0)) == "processed"
    begun: list[object] = []
    real_begin = parts.uow.begin

    def begin() -> Any:
        begun.append(1)
        return real_begin()

    monkeypatch.setattr(parts.uow, "begin", begin)

    run_lookups(parts, asked)

    assert [path for _, path, _ in fake_stripe.request_log] == ["/v1/customers/cus_L"]
    assert begun == []  # no transaction
    assert customer_row(parts.engine, "cus_L")["user_id"] is None
