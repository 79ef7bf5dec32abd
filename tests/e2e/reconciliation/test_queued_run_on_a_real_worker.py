"""A run queued through POST /api/v1/admin/reconciliation is run by a real `billing worker`
process against the fake Stripe API and reported finished by GET …/{run_id}."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.fakes.stripe_api import FakeStripe
from tests.support import processes
from tests.support.state import SUMMARY_FIELDS
from tests.support.stores import ADMIN_HEADERS, process_env
from tests.support.stripe_account import (
    add_purchase,
    add_subscription,
    fake_stripe_env,
    set_refunded,
    stripe_event,
)

pytestmark = pytest.mark.e2e
RUNS = "/api/v1/admin/reconciliation"
ADMIN = ADMIN_HEADERS
WORKER_DEADLINE_S = 90


def test_a_queued_run_is_run_by_a_real_worker_and_reported_finished(
    fake_stripe: FakeStripe,
    ingress_factory: Callable[..., TestClient],
    project: str,
    tmp_path: Path,
) -> None:
    admin_api = ingress_factory(**fake_stripe_env(fake_stripe))
    gone = add_subscription(fake_stripe, "sub_gone", "alice", status="canceled")
    stripe_event(fake_stripe, "customer.subscription.deleted", gone, gone["created"] + 60)
    set_refunded(fake_stripe, add_purchase(fake_stripe, "pi_book", "bob"), 900)
    run_id = admin_api.post(RUNS, headers=ADMIN, json={"days_back": 3}).json()["run_id"]
    queued = admin_api.get(f"{RUNS}/{run_id}", headers=ADMIN)
    assert queued.status_code == 200
    assert queued.json()["status"] == "running" and queued.json()["finished_at"] is None

    env = process_env(**fake_stripe_env(fake_stripe))
    worker = processes.start_worker(env, tmp_path)
    try:

        def finished() -> dict[str, Any] | None:
            report: dict[str, Any] = admin_api.get(f"{RUNS}/{run_id}", headers=ADMIN).json()
            return report if report["status"] != "running" else None

        report = processes.wait_until(
            finished, WORKER_DEADLINE_S, f"run {run_id} to end", 0.2, worker
        )
    finally:
        worker.stop()

    assert isinstance(report, dict)
    assert report["status"] == "finished", report
    assert set(report) >= {"run_id", "status"} | SUMMARY_FIELDS
    assert report["run_id"] == run_id and report["finished_at"] is not None
    assert {name: report[name] for name in SUMMARY_FIELDS - {"started_at", "finished_at"}} == {
        "subscriptions_checked": 1,
        "purchases_checked": 1,
        "events_replayed": 1,
        "drift_detected": 1,
        "corrected": 1,
        "errors": 0,
    }
