"""A run corrects what the service missed: through the same handlers, entitlements and cache."""

from __future__ import annotations

from collections.abc import Callable

import redis
from starlette.testclient import TestClient

from tests import stripe_events as se
from tests.fakes.demo import seed_demo
from tests.fakes.stripe_api import FakeStripe
from tests.stripe_events import DAY_S, PROJECT
from tests.support.state import (
    RunFn,
    cached_entitlements,
    create_app_key,
    deliver,
    entitlement_keys,
    one,
    purchase_row,
    rows,
    state_dump,
    subscription_row,
)
from tests.support.stripe_account import (
    add_purchase,
    add_subscription,
    now_s,
    set_refunded,
    stripe_event,
)
from workers.bootstrap import WorkerParts


def read_api_entitlements(client: TestClient, key: str, user_id: str) -> dict[str, object]:
    answer = client.get(
        f"/api/v1/entitlements/project/{PROJECT}/user/{user_id}",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text
    entitlements: dict[str, object] = answer.json()["entitlements"]
    return entitlements


def test_a_subscription_canceled_in_stripe_but_active_locally_is_corrected_and_the_user_loses_the_entitlement(  # noqa: E501
    fake_stripe: FakeStripe,
    parts: WorkerParts,
    run_reconciliation: RunFn,
    project: str,
    clean_redis: redis.Redis,
    ingress_factory: Callable[..., TestClient],
) -> None:
    sub = add_subscription(fake_stripe, "sub_gone", "alice")
    created = stripe_event(fake_stripe, "customer.subscription.created", sub, sub["created"])
    assert deliver(parts.inbox, parts.engine, created) == "processed"
    api, key = ingress_factory(), create_app_key(parts.engine)
    assert entitlement_keys(parts.engine, "alice") == ["prod_pro"]
    assert set(cached_entitlements(clean_redis, "alice") or {}) == {"prod_pro"}
    assert set(read_api_entitlements(api, key, "alice")) == {"prod_pro"}
    # Canceled in the dashboard; its customer.subscription.deleted never reached the service and
    # is no longer in the events list (Stripe keeps events 30 days): only the object tells.
    ended = now_s() - 3600
    fake_stripe.update("sub_gone", status="canceled", canceled_at=ended, ended_at=ended)

    _, counters = run_reconciliation()

    assert (counters.subscriptions_checked, counters.events_replayed) == (1, 0)
    assert (counters.drift_detected, counters.corrected, counters.errors) == (1, 1, 0)
    assert subscription_row(parts.engine, "sub_gone")["status"] == "canceled"
    assert entitlement_keys(parts.engine, "alice") == []
    assert cached_entitlements(clean_redis, "alice") == {}
    assert read_api_entitlements(api, key, "alice") == {}


def test_a_refund_the_service_never_heard_of_is_picked_up(
    fake_stripe: FakeStripe,
    parts: WorkerParts,
    run_reconciliation: RunFn,
    project: str,
    clean_redis: redis.Redis,
) -> None:
    pi = add_purchase(fake_stripe, "pi_book", "bob", amount=4900)
    paid = stripe_event(fake_stripe, "payment_intent.succeeded", pi, pi["created"])
    assert deliver(parts.inbox, parts.engine, paid) == "processed"
    assert purchase_row(parts.engine, "pi_book")["status"] == "succeeded"
    assert entitlement_keys(parts.engine, "bob") == ["prod_lifetime"]

    set_refunded(fake_stripe, pi, 900)  # refunded in the dashboard; charge.refunded never came
    _, partial = run_reconciliation()

    assert (partial.purchases_checked, partial.drift_detected, partial.corrected) == (1, 1, 1)
    row = purchase_row(parts.engine, "pi_book")
    assert (row["status"], row["amount_refunded_minor"]) == ("partially_refunded", 900)
    assert entitlement_keys(parts.engine, "bob") == ["prod_lifetime"]

    set_refunded(fake_stripe, pi, 4900)  # and then the rest
    _, full = run_reconciliation()

    assert (full.drift_detected, full.corrected, full.errors) == (1, 1, 0)
    row = purchase_row(parts.engine, "pi_book")
    assert (row["status"], row["amount_refunded_minor"]) == ("refunded", 4900)
    assert entitlement_keys(parts.engine, "bob") == []
    assert cached_entitlements(clean_redis, "bob") == {}


def test_a_missed_subscription_updated_event_is_replayed_from_the_events_list(
    fake_stripe: FakeStripe,
    parts: WorkerParts,
    run_reconciliation: RunFn,
    project: str,
    clean_redis: redis.Redis,
) -> None:
    sub = add_subscription(fake_stripe, "sub_unpaid", "carol")
    created = stripe_event(fake_stripe, "customer.subscription.created", sub, sub["created"])
    assert deliver(parts.inbox, parts.engine, created) == "processed"
    unpaid = add_subscription(fake_stripe, "sub_unpaid", "carol", status="unpaid",
                              created=sub["created"])  # fmt: skip
    missed = stripe_event(fake_stripe, "customer.subscription.updated", unpaid, now_s() - 600)

    run_id, counters = run_reconciliation()

    assert counters.events_replayed == 1  # the delivered created event is not stored twice
    stored = one(parts.engine, "SELECT * FROM webhook_events WHERE id = :id", id=missed["id"])
    assert stored["type"] == "customer.subscription.updated"
    assert stored["status"] == "processed" and stored["processed_at"] is not None
    assert stored["payload"]["data"]["object"]["status"] == "unpaid"
    assert len(rows(parts.engine, "SELECT id FROM webhook_events")) == 2
    # The replay itself brought the record up to date: nothing left to call drift.
    assert (counters.drift_detected, counters.corrected, counters.errors) == (0, 0, 0)
    assert subscription_row(parts.engine, "sub_unpaid")["status"] == "unpaid"
    assert entitlement_keys(parts.engine, "carol") == []
    assert cached_entitlements(clean_redis, "carol") == {}


def test_2500_subscriptions_across_many_pages_are_all_checked(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    created = now_s() - DAY_S
    template = se.subscription(
        "sub_template", customer="cus_bulk", status="active", products=["prod_pro"],
        period_end=created + 30 * DAY_S, created=created,
    )  # fmt: skip
    for i in range(2500):  # one `created` second for many of them: the cursor must still hold
        fake_stripe.add_subscription(
            {**template, "id": f"sub_bulk{i:05d}", "created": created - i % 7}
        )

    _, first = run_reconciliation()

    asked = [p for _, path, p in fake_stripe.request_log if path == "/v1/subscriptions"]
    assert all(p.get("status") == "all" and p.get("limit") == "100" for p in asked)
    assert len({p.get("starting_after") for p in asked}) == 25  # 25 pages (a retry asks again)
    assert first.subscriptions_checked == 2500
    assert (first.drift_detected, first.corrected, first.errors) == (2500, 2500, 0)
    stored = one(parts.engine, "SELECT count(*) AS n FROM subscriptions WHERE id LIKE 'sub_bulk%'")
    assert stored == {"n": 2500}

    _, second = run_reconciliation()

    assert second.subscriptions_checked == 2500
    assert (second.drift_detected, second.corrected, second.errors) == (0, 0, 0)


def test_a_second_run_right_after_a_first_finds_no_drift(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    seed_demo(fake_stripe, project_id=PROJECT)  # two subscriptions, a refunded purchase, events
    add_subscription(fake_stripe, "sub_quiet", "dave", status="canceled")  # no event at all
    pi = add_purchase(fake_stripe, "pi_quiet", "erin")
    set_refunded(fake_stripe, pi, 100)

    _, first = run_reconciliation()
    after_first = state_dump(parts.engine)

    assert first.events_replayed == 5 and first.errors == 0
    assert (first.subscriptions_checked, first.purchases_checked) == (3, 2)
    assert first.drift_detected == first.corrected == 2  # sub_quiet and pi_quiet, unknown before

    _, second = run_reconciliation()

    assert (second.subscriptions_checked, second.purchases_checked) == (3, 2)
    assert (second.events_replayed, second.drift_detected, second.corrected, second.errors) == (
        0, 0, 0, 0,
    )  # fmt: skip
    assert state_dump(parts.engine) == after_first
