"""A run never overwrites what a newer webhook brought, and never stays `running` after a crash."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests import stripe_events as se
from tests.fakes.stripe_api import FakeStripe
from tests.support.state import RunFn, deliver, entitlement_keys, one, subscription_row
from tests.support.stripe_account import add_subscription, now_s, stripe_event
from workers.bootstrap import WorkerParts
from workers.reconciliation import runner
from workers.reconciliation.runner import Reconciler
from workers.reconciliation.stripe_window import fetch_window


def test_a_webhook_processed_while_the_run_lists_is_not_overwritten_by_the_listing(
    fake_stripe: FakeStripe,
    parts: WorkerParts,
    run_reconciliation: RunFn,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sub = add_subscription(fake_stripe, "sub_race", "alice")
    created = stripe_event(fake_stripe, "customer.subscription.created", sub, sub["created"])
    deliver(parts.inbox, parts.engine, created)

    def fetch_then_a_webhook_arrives(*args: Any, **kwargs: Any) -> Any:
        window = fetch_window(*args, **kwargs)  # holds the subscription as `active`
        unpaid = copy.deepcopy(sub) | {"status": "unpaid"}
        later = se.event("customer.subscription.updated", unpaid, created=now_s() + 5)
        assert deliver(parts.inbox, parts.engine, later) == "processed"
        return window

    monkeypatch.setattr(runner, "fetch_window", fetch_then_a_webhook_arrives)

    _, counters = run_reconciliation()

    assert subscription_row(parts.engine, "sub_race")["status"] == "unpaid"
    assert entitlement_keys(parts.engine, "alice") == []
    assert counters.corrected == 0


def test_a_crash_while_applying_ends_the_run_failed_not_running(
    fake_stripe: FakeStripe,
    parts: WorkerParts,
    run_reconciliation: RunFn,
    project: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_subscription(fake_stripe, "sub_crash", "bob")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Reconciler, "_check_subscriptions", crash)

    run_id, counters = run_reconciliation()

    row = one(parts.engine, "SELECT * FROM reconciliation_runs WHERE id = :id", id=run_id)
    assert row["status"] == "failed"
    assert row["finished_at"] is not None
    assert row["errors"] == counters.errors == 1
    assert "database went away" in row["error_message"]
