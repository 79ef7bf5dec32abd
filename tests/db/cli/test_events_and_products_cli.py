"""Contract section 6's everyday commands: `events show`, `events list --type --since --json`,
`products list`, `products unmap`, each through the real `billing` process; every refusal is
one line on stderr with nothing changed."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.support.cli import billing
from tests.support.stores import insert_event, store_event


def _mapping(engine) -> set[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM product_entitlements"))
        return {(r.project_id, r.product_id, r.entitlement_key) for r in rows}


def test_events_show_prints_the_payload_attempts_and_full_error(clean_db):
    event = {"id": "evt_show_1", "type": "charge.refunded", "created": 1_700_000_000,
             "data": {"object": {"id": "ch_1", "object": "charge"}}}  # fmt: skip
    store_event(clean_db, event)
    long_error = "Boom: " + "x" * 300 + "\nsecond line"
    with clean_db.begin() as tx:
        tx.execute(
            text("UPDATE webhook_events SET attempts = 2, error_message = :e WHERE id = :id"),
            {"e": long_error, "id": "evt_show_1"},
        )
    shown = billing("events", "show", "evt_show_1")
    assert shown.code == 0, shown.err
    assert long_error in shown.out and '"ch_1"' in shown.out
    assert "attempts:     2" in shown.out
    as_json = json.loads(billing("events", "show", "evt_show_1", "--json").out)
    assert as_json["payload"]["data"]["object"]["id"] == "ch_1"
    assert as_json["error_message"] == long_error and as_json["attempts"] == 2
    missing = billing("events", "show", "evt_nope")
    assert missing.code == 1 and missing.err.strip() == "billing: no event 'evt_nope'"


def test_events_list_filters_by_type_and_since_and_prints_json(clean_db):
    insert_event(clean_db, "evt_old", "charge.refunded", age_days=10)
    insert_event(clean_db, "evt_new", "charge.refunded")
    insert_event(clean_db, "evt_other", "customer.created")
    listed = json.loads(billing("events", "list", "--type", "charge.refunded", "--json").out)
    assert {e["id"] for e in listed["events"]} == {"evt_old", "evt_new"}
    assert listed["count"] == 2
    recent = billing("events", "list", "--type", "charge.refunded", "--since", "2000-01-01")
    assert "evt_old" in recent.out and "evt_new" in recent.out
    since = json.loads(billing("events", "list", "--since", _days_ago(3), "--json").out)
    assert {e["id"] for e in since["events"]} == {"evt_new", "evt_other"}
    bad = billing("events", "list", "--since", "yesterday")
    assert bad.code == 2 and "expected a date" in bad.err


def test_products_list_and_unmap_with_validation(clean_db):
    assert billing("projects", "create", "acme").code == 0
    for key in ("pro", "beta"):
        mapped = billing("products", "map", "--project", "acme", "--product", "prod_A",
                         "--entitlement", key)  # fmt: skip
        assert mapped.code == 0, mapped.err
    assert billing("products", "map", "--project", "acme", "--product", "prod_B",
                   "--entitlement", "pro").code == 0  # fmt: skip
    listed = json.loads(billing("products", "list", "--project", "acme", "--json").out)
    assert listed["mapping"] == [
        {"product_id": "prod_A", "entitlement_key": "beta"},
        {"product_id": "prod_A", "entitlement_key": "pro"},
        {"product_id": "prod_B", "entitlement_key": "pro"},
    ]
    table = billing("products", "list", "--project", "acme").out.splitlines()
    assert table[0].split() == ["PRODUCT", "ENTITLEMENT"] and len(table) == 4

    before = _mapping(clean_db)
    for args, reason in (
        (["--product", "price_A", "--entitlement", "pro"], "product id must look like prod_"),
        (["--product", "prod_A", "--entitlement", "Pro Plan"], "entitlement key must match"),
        (["--product", "prod_A", "--entitlement", "gold"], "maps no 'gold' for product prod_A"),
        (["--product", "prod_Z"], "maps no product prod_Z"),
    ):
        refused = billing("products", "unmap", "--project", "acme", *args)
        assert refused.code == 1, args
        assert len(refused.err.strip().splitlines()) == 1 and reason in refused.err, refused.err
        assert _mapping(clean_db) == before
    unknown = billing("products", "unmap", "--project", "nope", "--product", "prod_A")
    assert unknown.code == 1 and "no project 'nope'" in unknown.err

    one = billing("products", "unmap", "--project", "acme", "--product", "prod_A",
                  "--entitlement", "beta")  # fmt: skip
    assert one.code == 0, one.err
    assert _mapping(clean_db) == {("acme", "prod_A", "pro"), ("acme", "prod_B", "pro")}
    every = billing("products", "unmap", "--project", "acme", "--product", "prod_A")
    assert every.code == 0 and "1 mapping(s) removed" in every.out
    assert _mapping(clean_db) == {("acme", "prod_B", "pro")}


def _days_ago(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def test_reconcile_runs_lists_the_history_newest_first(clean_db):
    from shared.db.reconciliation_runs import RunCounters, create_run, finish_run
    from shared.statuses import RunStatus

    first = create_run(clean_db, "cli", 7)
    assert first is not None
    finish_run(
        clean_db, first, RunCounters(drift_detected=3, corrected=3), RunStatus.FINISHED, None
    )
    second = create_run(clean_db, "admin", 2)
    assert second is not None
    listed = json.loads(billing("reconcile", "runs", "--json").out)
    assert [run["run_id"] for run in listed["runs"]] == [second, first]
    assert listed["runs"][1]["drift_detected"] == 3 and listed["runs"][1]["status"] == "finished"
    table = billing("reconcile", "runs", "--limit", "1")
    assert table.code == 0 and second in table.out and first not in table.out
    assert table.out.splitlines()[0].split()[:3] == ["RUN_ID", "STATUS", "TRIGGER"]
