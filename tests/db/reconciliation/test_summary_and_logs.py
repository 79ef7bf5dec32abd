"""The summary of a run: stored per run with exactly the contract's fields, and logged as one
structured line at the start and one at the end."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from structlog.testing import capture_logs

from shared.db.reconciliation_runs import load_run, summary_json
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import SUMMARY_FIELDS, RunFn, deliver
from tests.support.stripe_account import (
    add_purchase,
    add_subscription,
    now_s,
    set_refunded,
    stripe_event,
)
from workers.bootstrap import WorkerParts


def seed_some_drift(fake: FakeStripe, parts: WorkerParts) -> None:
    """One missed event, one canceled subscription, one unknown refund."""
    sub = add_subscription(fake, "sub_gone", "alice")
    created = stripe_event(fake, "customer.subscription.created", sub, sub["created"])
    assert deliver(parts.inbox, parts.engine, created) == "processed"
    fake.update("sub_gone", status="canceled", canceled_at=now_s(), ended_at=now_s())
    late = add_subscription(fake, "sub_late", "bob")
    stripe_event(fake, "customer.subscription.created", late, late["created"])
    set_refunded(fake, add_purchase(fake, "pi_book", "carol"), 500)


def lines(logs: list[MutableMapping[str, Any]], event: str) -> list[MutableMapping[str, Any]]:
    return [line for line in logs if line["event"] == event]


def test_the_summary_row_has_exactly_the_contracts_fields(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    seed_some_drift(fake_stripe, parts)

    run_id, counters = run_reconciliation()

    row = load_run(parts.engine, run_id)
    assert row is not None and row["status"] == "finished"
    summary = summary_json(row)
    assert set(summary) == SUMMARY_FIELDS
    assert {name: summary[name] for name in SUMMARY_FIELDS - {"started_at", "finished_at"}} == {
        "subscriptions_checked": 2,
        "purchases_checked": 1,
        "events_replayed": 1,
        "drift_detected": 2,
        "corrected": 2,
        "errors": 0,
    }
    assert summary["subscriptions_checked"] == counters.subscriptions_checked
    assert row["started_at"] <= row["finished_at"]
    assert summary["started_at"].endswith("Z") and summary["finished_at"].endswith("Z")


def test_a_run_logs_one_start_and_one_end_line_with_the_summary_fields(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    seed_some_drift(fake_stripe, parts)

    with capture_logs() as logs:
        run_id, _ = run_reconciliation(days_back=3)

    row = load_run(parts.engine, run_id)
    assert row is not None
    [started] = lines(logs, "reconciliation.started")
    [finished] = lines(logs, "reconciliation.finished")
    assert started["run_id"] == finished["run_id"] == run_id
    assert started["days_back"] == 3 and started["log_level"] == "info"
    assert set(started) >= SUMMARY_FIELDS and set(finished) >= SUMMARY_FIELDS
    assert {name: started[name] for name in SUMMARY_FIELDS} == {
        **dict.fromkeys(SUMMARY_FIELDS - {"started_at", "finished_at"}, 0),
        "started_at": summary_json(row)["started_at"],
        "finished_at": None,
    }
    assert {name: finished[name] for name in SUMMARY_FIELDS} == summary_json(row)
    assert finished["status"] == "finished" and finished["log_level"] == "info"
    # Between them, a line per replayed event and per drift found.
    [replayed] = lines(logs, "reconciliation.event_replayed")
    assert replayed["event_type"] == "customer.subscription.created"
    drifts = {(line["kind"], line["object_id"]) for line in lines(logs, "reconciliation.drift")}
    assert drifts == {("subscription", "sub_gone"), ("purchase", "pi_book")}


def test_a_failed_run_logs_its_end_line_as_an_error_with_the_summary_fields(
    fake_stripe: FakeStripe, parts: WorkerParts, run_reconciliation: RunFn, project: str
) -> None:
    fake_stripe.fail_next(10)  # more than the client's retries

    with capture_logs() as logs:
        run_id, _ = run_reconciliation()

    row = load_run(parts.engine, run_id)
    assert row is not None and row["status"] == "failed"
    [finished] = lines(logs, "reconciliation.finished")
    assert finished["log_level"] == "error" and finished["status"] == "failed"
    assert {name: finished[name] for name in SUMMARY_FIELDS} == summary_json(row)
    assert finished["errors"] == 1 and "Injected failure" in finished["error"]
