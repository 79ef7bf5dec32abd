"""`billing import` killed with SIGKILL halfway, then `billing import --resume`: the account ends
exactly as an uninterrupted import leaves it, and the pages finished before the kill are not
fetched from Stripe again (counted at the fake)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.db.adoption.account import (
    API_LINK_ONLY,
    CHECKOUT_ONLY,
    OTHER_KEY,
    OUR_METADATA,
    PRODUCT,
    build_account,
)
from tests.e2e.adoption.helpers import (
    BOOK,
    COUNTERS,
    add_book_purchases,
    end_state,
    entitled_users,
    import_rows,
    list_requests,
    set_up_acme,
    stripe_env,
    stripe_overrides,
)
from tests.fakes.stripe_api import FakeStripe
from tests.support import processes
from tests.support.cli import billing
from tests.support.stores import truncate_all_tables

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CUSTOMERS = 1000
PURCHASES = 120
# 10 pages of customers, 3 of Checkout Sessions, 10 of subscriptions, 2 of PaymentIntents.
PAGES = 25
KILL_AT_PAGES = 12  # into the Checkout Sessions: a stage and a half done, more to come
IMPORT_DEADLINE_S = 180


def test_an_import_killed_halfway_resumes_to_the_state_of_an_uninterrupted_one(
    fake_stripe: FakeStripe, engine: Engine, tmp_path: Path
) -> None:
    account = build_account(fake_stripe, CUSTOMERS)
    add_book_purchases(
        fake_stripe, account, range(0, CUSTOMERS, CUSTOMERS // PURCHASES)[:PURCHASES]
    )

    # The reference: one uninterrupted import into empty tables.
    set_up_acme(engine)
    first = len(fake_stripe.request_log)
    whole = billing("import", timeout_s=IMPORT_DEADLINE_S, **stripe_overrides(fake_stripe))
    assert whole.code == 0, whole.out + whole.err
    reference_pages = list_requests(fake_stripe.request_log[first:])
    [reference] = import_rows(engine)
    expected = end_state(engine)
    assert reference["status"] == "finished" and reference["pages"] == PAGES
    assert len(reference_pages) == len(set(reference_pages)) == PAGES
    assert (reference["customers"], reference["subscriptions"]) == (CUSTOMERS, CUSTOMERS)
    assert reference["purchases"] == PURCHASES
    owned = set().union(
        *({account.users[c] for c in account.by_place[p]} for p in (OUR_METADATA, OTHER_KEY,
                                                                   CHECKOUT_ONLY))
    )  # fmt: skip
    assert entitled_users(engine, PRODUCT) == owned
    assert not entitled_users(engine, PRODUCT) & {
        account.users[c] for c in account.by_place[API_LINK_ONLY]
    }
    assert len(entitled_users(engine, BOOK)) == PURCHASES

    # The same account into emptied tables, the import killed halfway.
    truncate_all_tables(engine)
    set_up_acme(engine)
    started = len(fake_stripe.request_log)
    killed = processes.start_process(
        "import", [*processes.BILLING, "import"], stripe_env(fake_stripe, STRIPE_API_RATE="20"),
        tmp_path,
    )  # fmt: skip
    try:

        def far_enough() -> bool:
            found = import_rows(engine)
            return bool(found) and found[0]["pages"] >= KILL_AT_PAGES

        processes.wait_until(far_enough, IMPORT_DEADLINE_S, "the import's pages", 0.01, killed)
        os.kill(killed.popen.pid, signal.SIGKILL)
        assert killed.popen.wait(timeout=10) == -signal.SIGKILL
    finally:
        killed.stop()
    time.sleep(0.5)  # a request the process sent as it died is logged by now
    before_kill = list_requests(fake_stripe.request_log[started:])
    [stopped] = import_rows(engine)
    assert stopped["status"] == "running" and stopped["finished_at"] is None
    assert KILL_AT_PAGES <= stopped["pages"] < PAGES, stopped
    assert stopped["stage"] != "done"

    resumed_from = len(fake_stripe.request_log)
    resumed = billing(
        "import", "--resume", stopped["id"], timeout_s=IMPORT_DEADLINE_S,
        **stripe_overrides(fake_stripe),
    )  # fmt: skip
    after_resume = list_requests(fake_stripe.request_log[resumed_from:])

    assert resumed.code == 0, resumed.out + resumed.err
    assert resumed.out.splitlines()[0] == f"import {stopped['id']} (resumed)"
    assert end_state(engine) == expected
    [row] = import_rows(engine)
    assert (row["id"], row["status"], row["errors"]) == (stopped["id"], "finished", 0)
    # No finished page counted twice, none left out: the summary adds up as in one run.
    assert {name: row[name] for name in COUNTERS} == {name: reference[name] for name in COUNTERS}
    assert row["pages"] == PAGES
    # Stripe saw each page once, but for the one in flight when the process died.
    assert set(before_kill) | set(after_resume) == set(reference_pages)
    assert len(after_resume) == len(set(after_resume))
    fetched_twice = set(before_kill) & set(after_resume)
    assert fetched_twice <= {before_kill[-1]}, fetched_twice
    assert len(after_resume) <= PAGES - stopped["pages"] + 1
