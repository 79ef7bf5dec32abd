"""CONTRACT section 12: an event is counted once its final status is committed, by type and
status, with its lag and the time of the transaction that applied it; never for a try that
rolled back, nor again for a redelivery."""

from __future__ import annotations

import pytest

from tests.db.inbox.test_inbox_bookkeeping import Boom, make_inbox, malformed
from tests.support.scrape import CountsInThisProcess
from tests.support.stores import insert_event

PROCESSED = "billing_events_processed_total"


def _applies(tx, payload):
    return set()


def _raises(tx, payload):
    raise Boom("database hiccup")


def test_a_batch_counts_each_event_by_type_and_final_status(clean_db):
    insert_event(clean_db, "evt_1", "invoice.paid")
    insert_event(clean_db, "evt_2", "invoice.paid")
    insert_event(clean_db, "evt_bad", "charge.refunded")
    insert_event(clean_db, "evt_other", "customer.created")
    inbox = make_inbox(clean_db, {"invoice.paid": _applies, "charge.refunded": malformed})
    counts = CountsInThisProcess()

    inbox.process_batch(["evt_1", "evt_2", "evt_bad", "evt_other"])
    inbox.process_batch(["evt_1", "evt_2"])  # a redelivery: nothing more

    assert counts.moved(PROCESSED, type="invoice.paid", status="processed") == 2
    assert counts.moved(PROCESSED, type="charge.refunded", status="failed") == 1
    assert counts.moved(PROCESSED, type="customer.created", status="skipped") == 1
    assert counts.moved("billing_event_lag_seconds_count") == 4
    assert counts.moved("billing_event_processing_seconds_count", type="invoice.paid") == 2


def test_a_failed_try_is_not_counted_until_its_retries_are_spent(clean_db):
    insert_event(clean_db, "evt_1", "invoice.paid")
    inbox = make_inbox(clean_db, {"invoice.paid": _raises})
    counts = CountsInThisProcess()

    with pytest.raises(Boom):
        inbox.process("evt_1")
    assert counts.moved(PROCESSED, type="invoice.paid", status="failed") == 0

    inbox.record_failure("evt_1", "retries exhausted", final=True)
    inbox.record_failure("evt_1", "retries exhausted", final=True)  # already failed: once
    assert counts.moved(PROCESSED, type="invoice.paid", status="failed") == 1
    assert counts.moved("billing_event_lag_seconds_count") == 1
    assert counts.moved("billing_event_processing_seconds_count", type="invoice.paid") == 0
