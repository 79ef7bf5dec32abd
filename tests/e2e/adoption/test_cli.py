"""The adoption commands as an operator types them: `billing import`, `projects default`,
`projects user-keys`, `users show`, `customers show`, `customers resync`, and their `--help`."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest
from sqlalchemy import Engine

from shared.db.imports import SUMMARY_COUNTERS
from tests.db.adoption.account import PERIOD_END, PRODUCT, PROJECT, build_account
from tests.e2e.adoption.helpers import (
    BOOK,
    BOOK_PRICE,
    SUMMARY_FIELDS,
    add_book_purchases,
    import_rows,
    rows,
    set_up_acme,
    stripe_env,
    stripe_overrides,
)
from tests.fakes.stripe_api import FakeStripe
from tests.support.cli import billing
from tests.support.processes import BILLING, REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

USER_VIEW_FIELDS = {"project_id", "user_id", "entitlements", "customers", "subscriptions",
                    "purchases"}  # fmt: skip
CUSTOMER_VIEW_FIELDS = {"customer_id", "project_id", "user_id", "link_source", "subscriptions",
                        "purchases"}  # fmt: skip
SUBSCRIPTION_FIELDS = {"id", "status", "current_period_end", "product_ids", "customer_id"}
PURCHASE_FIELDS = {"id", "status", "amount", "amount_refunded", "currency", "product_id"}


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def summary_of(out: str) -> dict[str, str]:
    """`name   value` lines of a printed summary."""
    found = {}
    for line in out.splitlines():
        name, _, value = line.partition(" ")
        if name in SUMMARY_FIELDS | {"customer_id", "subscriptions_checked", "purchases_checked",
                                     "corrected"}:  # fmt: skip
            found[name] = value.strip()
    return found


def project_rows(engine: Engine) -> dict[str, tuple[bool, list[str]]]:
    return {
        row["id"]: (row["is_default"], list(row["user_id_keys"]))
        for row in rows(engine, "SELECT id, is_default, user_id_keys FROM projects")
    }


def test_import_without_stripe_secret_key_refuses_in_one_line_and_stores_nothing(
    engine: Engine,
) -> None:
    set_up_acme(engine)

    result = billing("import")

    assert result.code == 2, result
    assert "STRIPE_SECRET_KEY" in one_line(result.err)
    assert result.out == ""
    assert import_rows(engine) == []
    resumed = billing("import", "--resume", "imp_0123")
    assert resumed.code == 2 and "STRIPE_SECRET_KEY" in one_line(resumed.err)
    assert import_rows(engine) == []


def test_projects_default_makes_one_project_the_default_and_none_clears_it(
    engine: Engine,
) -> None:
    assert billing("projects", "create", PROJECT).code == 0

    made = billing("projects", "default", PROJECT)

    assert made.code == 0, made
    assert PROJECT in one_line(made.out)
    assert project_rows(engine) == {PROJECT: (True, ["user_id"])}
    unknown = billing("projects", "default", "nope")
    assert unknown.code == 1 and "nope" in one_line(unknown.err)
    assert project_rows(engine) == {PROJECT: (True, ["user_id"])}
    cleared = billing("projects", "default", "--none")
    assert cleared.code == 0 and one_line(cleared.out)
    assert project_rows(engine) == {PROJECT: (False, ["user_id"])}
    neither = billing("projects", "default")
    assert neither.code == 2 and "Traceback" not in neither.err


def test_projects_default_moves_the_default_from_one_project_to_another(engine: Engine) -> None:
    """The walk-through of a second app on the same account: at most one default, so making
    another project the default takes it from the first."""
    for project in (PROJECT, "other"):
        assert billing("projects", "create", project).code == 0
    assert billing("projects", "default", PROJECT).code == 0

    moved = billing("projects", "default", "other")

    assert moved.code == 0, moved.err
    assert "other" in one_line(moved.out)
    assert project_rows(engine) == {PROJECT: (False, ["user_id"]), "other": (True, ["user_id"])}


def test_projects_user_keys_sets_the_metadata_keys_read_for_the_user_id(engine: Engine) -> None:
    assert billing("projects", "create", PROJECT).code == 0

    keys = billing("projects", "user-keys", PROJECT, "userId", "user_id")

    assert keys.code == 0, keys
    assert "userId" in one_line(keys.out)
    assert project_rows(engine) == {PROJECT: (False, ["userId", "user_id"])}
    bad = billing("projects", "user-keys", PROJECT, "supabase_user_id", "user id")
    assert bad.code == 1, bad
    assert "user id" in one_line(bad.err) and bad.out == ""
    assert project_rows(engine) == {PROJECT: (False, ["userId", "user_id"])}
    unknown = billing("projects", "user-keys", "nope", "userId")
    assert unknown.code == 1 and "nope" in one_line(unknown.err)
    listing = billing("projects", "list")
    assert listing.code == 0 and "userId,user_id" in listing.out


def test_import_then_look_ups_and_a_resync_of_one_customer(
    fake_stripe: FakeStripe, engine: Engine
) -> None:
    account = build_account(fake_stripe, 8)
    add_book_purchases(fake_stripe, account, [1])
    set_up_acme(engine)
    env = stripe_overrides(fake_stripe)

    imported = billing("import", timeout_s=120, **env)

    assert imported.code == 0, imported.out + imported.err
    lines = imported.out.splitlines()
    [row] = import_rows(engine)
    assert lines[0] == f"import {row['id']}"
    assert any(" page " in line for line in lines)  # progress, plain lines off a terminal
    summary = summary_of(imported.out)
    assert set(summary) == SUMMARY_FIELDS
    assert summary["import_id"] == row["id"] and summary["status"] == "finished"
    assert {name: int(summary[name]) for name in SUMMARY_COUNTERS} == {
        name: row[name] for name in SUMMARY_COUNTERS
    }
    assert (row["customers"], row["subscriptions"], row["purchases"]) == (8, 8, 1)

    user = billing("users", "show", "--project", PROJECT, "user-1")
    assert user.code == 0, user
    view = json.loads(user.out)
    assert set(view) == USER_VIEW_FIELDS
    assert (view["project_id"], view["user_id"], view["customers"]) == (
        PROJECT, "user-1", ["cus_000001"],
    )  # fmt: skip
    assert set(view["entitlements"]) == {PRODUCT, BOOK}
    assert view["entitlements"][PRODUCT]["source"] == "subscription"
    assert view["entitlements"][BOOK]["source"] == "purchase"
    [sub] = view["subscriptions"]
    assert set(sub) == SUBSCRIPTION_FIELDS
    assert (sub["id"], sub["status"], sub["product_ids"]) == ("sub_000001", "active", [PRODUCT])
    [purchase] = view["purchases"]
    assert set(purchase) >= PURCHASE_FIELDS
    assert (purchase["id"], purchase["status"], purchase["amount"]) == (
        "pi_book_000001", "partially_refunded", BOOK_PRICE,
    )  # fmt: skip
    nobody = billing("users", "show", "--project", PROJECT, "never-seen")
    assert nobody.code == 0
    assert json.loads(nobody.out) == {
        "project_id": PROJECT, "user_id": "never-seen", "entitlements": {}, "customers": [],
        "subscriptions": [], "purchases": [],
    }  # fmt: skip

    shown = billing("customers", "show", "cus_000002")  # owner only in client_reference_id
    assert shown.code == 0, shown
    customer = json.loads(shown.out)
    assert set(customer) == CUSTOMER_VIEW_FIELDS
    assert (customer["project_id"], customer["user_id"]) == (PROJECT, "user-2")
    assert customer["link_source"] == "metadata"
    assert [s["id"] for s in customer["subscriptions"]] == ["sub_000002"]
    unowned = json.loads(billing("customers", "show", "cus_000003").out)  # owner in the app only
    assert (unowned["project_id"], unowned["user_id"], unowned["link_source"]) == (None,) * 3
    never = billing("customers", "show", "cus_999999")
    assert never.code == 1 and "cus_999999" in one_line(never.err)
    malformed = billing("customers", "show", "customer-1")
    assert malformed.code == 1 and "customer-1" in one_line(malformed.err)

    fake_stripe.update("sub_000001", status="past_due")
    fake_stripe.update("sub_000005", status="canceled", canceled_at=PERIOD_END - 9,
                       ended_at=PERIOD_END - 9)  # fmt: skip
    resync = billing("customers", "resync", "cus_000005", timeout_s=60, **env)

    assert resync.code == 0, resync.out + resync.err
    assert summary_of(resync.out) == {
        "customer_id": "cus_000005",
        "subscriptions_checked": "1",
        "purchases_checked": "0",
        "corrected": "1",
    }
    after = json.loads(billing("users", "show", "--project", PROJECT, "user-5").out)
    assert after["entitlements"] == {}
    assert [s["status"] for s in after["subscriptions"]] == ["canceled"]
    untouched = json.loads(billing("customers", "show", "cus_000001").out)
    assert [s["status"] for s in untouched["subscriptions"]] == ["active"]  # not resynced
    stripe_unknown = billing("customers", "resync", "cus_999999", timeout_s=60, **env)
    assert stripe_unknown.code == 1 and "cus_999999" in one_line(stripe_unknown.err)


def test_import_on_a_terminal_shows_progress_on_one_line(
    fake_stripe: FakeStripe, engine: Engine
) -> None:
    build_account(fake_stripe, 250)
    set_up_acme(engine)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [*BILLING, "import"],
            env=stripe_env(fake_stripe),
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    text = output.decode()
    assert done.returncode == 0, text
    progress = [line for line in text.split("\n") if " page " in line]
    assert len(progress) == 1, text  # redrawn in place with \r: one line on the screen
    assert progress[0].count("\r") >= 8, progress  # 3 + 1 + 3 + 1 pages, each redrawn
    assert "/s" in progress[0]


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        (["import"], ["--resume", "STRIPE_API_RATE", "Checkout Session"]),
        (["projects", "default"], ["--none", "project_id"]),
        (["projects", "user-keys"], ["KEY", "client_reference_id"]),
        (["users", "show"], ["--project", "entitlements"]),
        (["customers", "show"], ["cus_", "owner"]),
        (["customers", "resync"], ["cus_", "Stripe", "correct"]),
    ],
)
def test_each_adoption_command_explains_itself_in_its_help(
    command: list[str], explains: list[str]
) -> None:
    shown = billing(*command, "--help")

    assert shown.code == 0, shown
    assert shown.help_text.startswith(f"Usage: billing {' '.join(command)}")
    for words in explains:
        assert words in shown.help_text, f"`billing {' '.join(command)} --help` lacks {words!r}"
