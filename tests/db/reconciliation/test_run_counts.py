"""CONTRACT section 12: a reconciliation run is counted as it ended, with the drift it found."""

from __future__ import annotations

from dataclasses import replace

from tests.fakes.stripe_api import FakeStripe
from tests.support.scrape import CountsInThisProcess
from tests.support.state import deliver, start_run
from tests.support.stripe_account import add_subscription, now_s, stripe_event
from workers.bootstrap import WorkerParts
from workers.reconciliation.run_actor import run_or_refuse

RUNS = "billing_reconciliation_runs_total"
DRIFT = "billing_reconciliation_drift_total"


def test_a_run_that_corrects_drift_counts_finished_and_the_drift(
    fake_stripe: FakeStripe, parts: WorkerParts, project: str
) -> None:
    sub = add_subscription(fake_stripe, "sub_gone", "alice")
    created = stripe_event(fake_stripe, "customer.subscription.created", sub, sub["created"])
    assert deliver(parts.inbox, parts.engine, created) == "processed"
    ended = now_s() - 3600
    fake_stripe.update("sub_gone", status="canceled", canceled_at=ended, ended_at=ended)
    counts = CountsInThisProcess()

    run_or_refuse(parts, start_run(parts.engine, 7), 7)

    assert counts.moved(RUNS, status="finished") == 1
    assert counts.moved(DRIFT) == 1


def test_a_run_refused_for_want_of_a_stripe_key_counts_failed(parts: WorkerParts, clean_db) -> None:
    counts = CountsInThisProcess()

    run_or_refuse(replace(parts, stripe_client=None), start_run(parts.engine, 3), 3)

    assert counts.moved(RUNS, status="failed") == 1
    assert counts.moved(DRIFT) == 0
