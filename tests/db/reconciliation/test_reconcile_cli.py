"""`billing reconcile [--days-back N]` as an operator runs it: a subprocess against the fake."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.fakes.stripe_api import FakeStripe
from tests.stripe_events import DAY_S
from tests.support.cli import billing
from tests.support.state import SUMMARY_FIELDS, run_rows, subscription_row
from tests.support.stripe_account import (
    add_purchase,
    add_subscription,
    fake_stripe_env,
    now_s,
    set_refunded,
    stripe_event,
)


def summary_table(stdout: str) -> dict[str, str]:
    """The `name  value` lines of the printed summary."""
    table = {}
    for line in stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in SUMMARY_FIELDS | {"run_id", "status"}:
            table[name] = value.strip()
    return table


def test_billing_reconcile_prints_the_summary_table_and_exits_0(
    fake_stripe: FakeStripe, project: str, clean_db: Engine
) -> None:
    recent = add_subscription(fake_stripe, "sub_recent", "alice", status="canceled")
    stripe_event(fake_stripe, "customer.subscription.deleted", recent, now_s() - 600)
    set_refunded(fake_stripe, add_purchase(fake_stripe, "pi_book", "bob"), 900)
    add_subscription(fake_stripe, "sub_old", "carol", created=now_s() - 5 * DAY_S)  # outside 3

    done = billing("reconcile", "--days-back", "3", **fake_stripe_env(fake_stripe))

    assert done.code == 0, done.err
    table = summary_table(done.out)
    assert set(table) == SUMMARY_FIELDS | {"run_id", "status"}
    assert table["status"] == "finished"
    assert {name: table[name] for name in SUMMARY_FIELDS - {"started_at", "finished_at"}} == {
        "subscriptions_checked": "1",
        "purchases_checked": "1",
        "events_replayed": "1",
        "drift_detected": "1",  # pi_book; the replayed event already brought sub_recent
        "corrected": "1",
        "errors": "0",
    }
    assert table["finished_at"] not in ("", "None")
    assert "subscriptions: 1" in done.out  # progress as plain lines when not on a terminal
    [row] = run_rows(clean_db)
    assert (row["id"], row["trigger"], row["days_back"], row["status"]) == (
        table["run_id"], "cli", 3, "finished",
    )  # fmt: skip
    assert subscription_row(clean_db, "sub_recent")["status"] == "canceled"
    since = {int(p["created"]["gte"]) for _, path, p in fake_stripe.request_log if "created" in p}
    assert len(since) == 1 and abs(since.pop() - (now_s() - 3 * DAY_S)) < 120


def test_billing_reconcile_logs_its_start_and_end_lines_to_stderr_not_into_the_summary(
    fake_stripe: FakeStripe, clean_db: Engine
) -> None:
    add_subscription(fake_stripe, "sub_recent", "alice")

    done = billing("reconcile", **fake_stripe_env(fake_stripe))

    assert done.code == 0, done.err
    assert "reconciliation.started" not in done.out
    logged = [json.loads(line) for line in done.err.splitlines() if line.startswith("{")]
    [started] = [line for line in logged if line["event"] == "reconciliation.started"]
    [finished] = [line for line in logged if line["event"] == "reconciliation.finished"]
    table = summary_table(done.out)
    assert started["run_id"] == finished["run_id"] == table["run_id"]
    assert {name: str(finished[name]) for name in SUMMARY_FIELDS} == {
        name: table[name] for name in SUMMARY_FIELDS
    }


def test_billing_reconcile_without_stripe_secret_key_refuses_and_creates_no_run(
    fake_stripe: FakeStripe, clean_db: Engine
) -> None:
    done = billing("reconcile", "--days-back", "3", STRIPE_API_BASE=fake_stripe.base_url)

    assert done.code != 0
    assert "STRIPE_SECRET_KEY" in done.err
    assert run_rows(clean_db) == []
    assert fake_stripe.request_log == []


def test_billing_reconcile_help_explains_the_command() -> None:
    done = billing("reconcile", "--help")
    listed = billing("--help")

    assert done.code == 0
    assert "--days-back" in done.out and "summary" in done.out
    assert listed.code == 0
    assert "reconcile" in listed.out and "STRIPE_SECRET_KEY" in listed.out
