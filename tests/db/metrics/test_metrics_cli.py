"""`billing metrics` and `billing projects grace` (CONTRACT section 10), as operators run them."""

from __future__ import annotations

import json

from sqlalchemy import Engine, text

from tests.stripe_events import T0, owner_metadata, subscription_event
from tests.support.cli import billing
from tests.support.state import create_project, deliver
from workers.inbox import Inbox


def test_metrics_as_json_and_as_a_table(clean_db: Engine, inbox: Inbox) -> None:
    create_project(clean_db)
    deliver(inbox, clean_db, subscription_event(T0, "active", metadata=owner_metadata("u1")))
    result = billing("metrics", "--project", "acme", "--from", "2023-11-01", "--to", "2023-11-30",
                     "--json")  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["mrr"]["currencies"]["usd"]["mrr"] == 2000
    assert set(report) == {"mrr", "movements", "revenue"}
    assert report["movements"]["from"] == "2023-11-01"
    table = billing("metrics", "--project", "acme")
    assert table.code == 0, table.err
    assert "MRR" in table.out and "2000" in table.out and "24000" in table.out
    bad = billing("metrics", "--project", "acme", "--from", "2026-02-01", "--to", "2026-01-01")
    assert bad.code == 1 and "before" in bad.err and "Traceback" not in bad.err


def test_projects_grace_sets_days_or_unlimited_and_refuses_nonsense(clean_db: Engine) -> None:
    create_project(clean_db)

    def grace() -> object:
        with clean_db.connect() as conn:
            return conn.execute(text("SELECT grace_past_due_days FROM projects")).scalar_one()

    ok = billing("projects", "grace", "acme", "--past-due-days", "7")
    assert ok.code == 0 and "7 day" in ok.out, ok.err
    assert grace() == 7
    for bad in ("-1", "soon", "99999"):
        refused = billing("projects", "grace", "acme", "--past-due-days", bad)
        assert refused.code in (1, 2) and "Traceback" not in refused.err, refused.err
        assert grace() == 7
    assert billing("projects", "grace", "acme", "--past-due-days", "unlimited").code == 0
    assert grace() is None
    assert billing("projects", "grace", "nope", "--past-due-days", "3").code == 1
