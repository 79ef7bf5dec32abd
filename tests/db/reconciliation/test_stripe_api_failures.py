"""A Stripe API failure mid-run: the run ends `failed` with the error counted, nothing local has
changed (everything is fetched before anything is applied), and the next run completes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from shared import stripe_api
from shared.db.reconciliation_runs import RunCounters, load_run
from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import RunFn, deliver, one, purchase_row, state_dump, subscription_row
from tests.support.stripe_account import (
    add_purchase,
    add_subscription,
    now_s,
    set_refunded,
    stripe_event,
)
from workers.bootstrap import WorkerParts

CLIENT_TIMEOUT_S = 1
EXTRA_SUBSCRIPTIONS = 250  # three pages of subscriptions: room to fail after the first


class QuickHttpClient(stripe_api.PatientRequestsClient):
    """The service's HTTP client for Stripe with a short timeout (REQUEST_TIMEOUT_S, 20 s, in
    production); its retries stay as they are."""

    def __init__(self, rate_per_s: int, timeout: float = CLIENT_TIMEOUT_S) -> None:
        super().__init__(rate_per_s, timeout)


@pytest.fixture(autouse=True)
def _short_client_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autouse, so set before `parts` builds the Stripe client."""
    monkeypatch.setattr(stripe_api, "PatientRequestsClient", QuickHttpClient)


def drifted_world(fake: FakeStripe, parts: WorkerParts) -> None:
    """Three things a successful run would change, behind many pages of quiet subscriptions."""
    sub = add_subscription(fake, "sub_gone", "alice")
    assert deliver(parts.inbox, parts.engine, stripe_event(
        fake, "customer.subscription.created", sub, sub["created"])) == "processed"  # fmt: skip
    fake.update("sub_gone", status="canceled", canceled_at=now_s(), ended_at=now_s())
    pi = add_purchase(fake, "pi_book", "bob")
    assert deliver(parts.inbox, parts.engine, stripe_event(
        fake, "payment_intent.succeeded", pi, pi["created"])) == "processed"  # fmt: skip
    set_refunded(fake, pi, 900)
    late = add_subscription(fake, "sub_late", "carol")
    stripe_event(fake, "customer.subscription.created", late, late["created"])  # never delivered
    for i in range(EXTRA_SUBSCRIPTIONS):  # known to the service and unchanged since
        quiet = add_subscription(fake, f"sub_quiet{i:03d}", "quiet", created=now_s() - 7200 - i)
        created = se.event("customer.subscription.created", quiet, created=quiet["created"])
        assert deliver(parts.inbox, parts.engine, created) == "processed"


def assert_failed_run(engine: Engine, run_id: str, counters: RunCounters) -> None:
    assert counters.errors == 1
    assert (counters.subscriptions_checked, counters.purchases_checked) == (0, 0)
    assert (counters.events_replayed, counters.drift_detected, counters.corrected) == (0, 0, 0)
    row = load_run(engine, run_id)
    assert row is not None
    assert row["status"] == "failed" and row["errors"] == 1 and row["finished_at"] is not None
    assert row["error_message"].startswith("Stripe API")


def assert_next_run_completes(engine: Engine, run_reconciliation: RunFn) -> None:
    run_id, counters = run_reconciliation()
    assert one(engine, "SELECT status FROM reconciliation_runs WHERE id = :id", id=run_id) == {
        "status": "finished"
    }
    assert counters.errors == 0 and counters.events_replayed == 1  # sub_late's created event
    assert counters.subscriptions_checked == EXTRA_SUBSCRIPTIONS + 2
    assert (counters.drift_detected, counters.corrected) == (2, 2)  # sub_gone and pi_book
    assert subscription_row(engine, "sub_gone")["status"] == "canceled"
    assert subscription_row(engine, "sub_late")["status"] == "active"
    assert purchase_row(engine, "pi_book")["amount_refunded_minor"] == 900


def test_a_stripe_500_mid_run_fails_the_run_with_errors_counted_and_changes_nothing(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    drifted_world(fake_stripe, parts)
    before = state_dump(parts.engine)
    fake_stripe.fail_after(2)  # the events page and the first subscriptions page, then 500s

    run_id, counters = run_reconciliation()

    assert_failed_run(parts.engine, run_id, counters)
    assert state_dump(parts.engine) == before
    asked = [path for _, path, _ in fake_stripe.request_log]
    assert asked[:2] == ["/v1/events", "/v1/subscriptions"] and "/v1/payment_intents" not in asked

    fake_stripe.clear_faults()
    assert_next_run_completes(parts.engine, run_reconciliation)


def test_a_stripe_timeout_mid_run_fails_the_run_with_errors_counted_and_changes_nothing(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    drifted_world(fake_stripe, parts)
    before = state_dump(parts.engine)
    stalled: list[str] = []

    def stall_after_events(kind: str, count: int) -> None:
        if kind == "events" and not stalled:  # every later answer (and retry) outlasts the client
            stalled.append(kind)
            fake_stripe.hang_next(100, seconds=CLIENT_TIMEOUT_S * 10)

    run_id, counters = run_reconciliation(progress=stall_after_events)

    assert stalled == ["events"]
    assert_failed_run(parts.engine, run_id, counters)
    row = load_run(parts.engine, run_id)
    assert row is not None and "timed out" in row["error_message"].lower()
    assert state_dump(parts.engine) == before

    fake_stripe.clear_faults()
    assert_next_run_completes(parts.engine, run_reconciliation)
