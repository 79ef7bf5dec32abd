"""MRR at each day's end and revenue of each day (the dashboard's charts, `billing metrics
--by-day`), from the subscription history and the paid invoices and purchases."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine

from shared.metrics.report import Window
from shared.operations.metrics import project_metrics
from tests.stripe_events import (
    DAY_S,
    SUBSCRIPTION_DELETED,
    T0,
    invoice_event,
    owner_metadata,
    payment_intent_event,
    subscription_event,
)
from tests.support.cli import billing
from tests.support.state import create_project, deliver_all
from workers.inbox import Inbox

WINDOW = Window(date(2025, 6, 14), date(2025, 6, 19))  # T0 is 2025-06-15 15:06:40 UTC


def test_mrr_follows_the_subscription_and_revenue_falls_on_the_day_paid(
    clean_db: Engine, inbox: Inbox
) -> None:
    create_project(clean_db)
    owner = owner_metadata("u1")
    deliver_all(inbox, clean_db, [
        subscription_event(T0, "active", metadata=owner),
        invoice_event(T0 + DAY_S, amount=2000),
        payment_intent_event(T0 + 10, pi_id="pi_book", metadata=owner_metadata("u1")),
        subscription_event(T0 + 3 * DAY_S, "canceled", event_type=SUBSCRIPTION_DELETED,
                           metadata=owner),
    ])  # fmt: skip
    with clean_db.connect() as conn:
        by_day = project_metrics(conn, "acme", WINDOW, by_day=True)["by_day"]
    assert by_day["mrr"] == {
        "usd": [
            ["2025-06-14", 0],
            ["2025-06-15", 2000],
            ["2025-06-16", 2000],
            ["2025-06-17", 2000],
            ["2025-06-18", 0],  # canceled that afternoon: not paying at the day's end
            ["2025-06-19", 0],
        ]
    }
    assert by_day["revenue"] == {
        "usd": [
            ["2025-06-14", 0],
            ["2025-06-15", 4900],
            ["2025-06-16", 2000],
            ["2025-06-17", 0],
            ["2025-06-18", 0],
            ["2025-06-19", 0],
        ]
    }


def test_another_projects_money_is_not_counted(clean_db: Engine, inbox: Inbox) -> None:
    create_project(clean_db)
    create_project(clean_db, "globex")
    deliver_all(inbox, clean_db, [
        subscription_event(T0, "active", metadata=owner_metadata("u1", "globex")),
    ])  # fmt: skip
    with clean_db.connect() as conn:
        by_day = project_metrics(conn, "acme", WINDOW, by_day=True)["by_day"]
    assert by_day["mrr"] == {} and by_day["revenue"] == {}


def test_billing_metrics_by_day(clean_db: Engine, inbox: Inbox) -> None:
    create_project(clean_db)
    deliver_all(inbox, clean_db, [subscription_event(T0, "active", metadata=owner_metadata("u1"))])
    window = ("--from", "2025-06-14", "--to", "2025-06-16")
    result = billing("metrics", "--project", "acme", *window, "--by-day", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["by_day"]["mrr"]["usd"][1] == ["2025-06-15", 2000]
    table = billing("metrics", "--project", "acme", *window, "--by-day")
    assert table.code == 0, table.err
    assert "By day" in table.out and "2025-06-15" in table.out
    assert "By day" not in billing("metrics", "--project", "acme", *window).out
