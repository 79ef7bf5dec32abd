"""`billing events stats`: the inbox as the dashboard's overview shows it, for a terminal."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.support.cli import billing
from tests.support.stores import CLOSED_REDIS_URL, insert_event


def test_events_stats_counts_by_status_and_names_the_backlog(clean_db: Engine) -> None:
    insert_event(clean_db, "evt_a", status="processed", age_hours=1)
    insert_event(clean_db, "evt_b", status="failed", age_hours=2)
    insert_event(clean_db, "evt_c", status="received", age_hours=5)
    insert_event(clean_db, "evt_old", status="processed", age_days=3)
    result = billing("events", "stats", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["totals"] == {"received": 1, "processed": 1, "skipped": 0, "failed": 1}
    assert sum(row["count"] for row in report["by_hour"]) == 3
    assert report["waiting"] == 1 and 5 * 3600 - 60 < report["lag_seconds"] < 5 * 3600 + 60
    assert report["queues"] == {"events": 0, "maintenance": 0, "webhooks": 0, "enrichment": 0}
    table = billing("events", "stats", "--hours", "3")
    assert table.code == 0, table.err
    assert "failed" in table.out and "waiting for a worker: 1" in table.out


def test_events_stats_without_redis_still_counts_events(clean_db: Engine) -> None:
    insert_event(clean_db, "evt_a", status="failed")
    result = billing("events", "stats", REDIS_URL=CLOSED_REDIS_URL)
    assert result.code == 0, result.err
    assert "queue messages: unavailable" in result.out
