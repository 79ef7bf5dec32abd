"""Contract section 3: status, attempts and error_message of an event through its tries.

The Inbox (workers/inbox.py) runs against the real database; the Dramatiq retry path runs on a
StubBroker with the service's own actors (workers/actors.py) and Retries settings."""

from __future__ import annotations

import time

import pytest
import redis
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage, Retries
from sqlalchemy import text

from shared import tenants
from shared.entitlements.cache_refresh import EntitlementCache
from shared.queue import EVENTS_QUEUE, enqueue_event
from shared.records import Owner
from shared.unit_of_work import UnitOfWork
from tests.support.stores import TEST_REDIS_URL, event_row, insert_event
from workers.actors import declare_event_actors
from workers.inbox import Inbox, UserBusy
from workers.payloads.errors import MalformedEvent


class Boom(RuntimeError):
    pass


def _project_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM projects")).scalar_one()


def writes_then_raises(tx, payload):
    """A handler that changes state and then fails: the change must not survive."""
    tx.execute(text("INSERT INTO projects (id, name) VALUES ('half-done', 'x')"))
    raise Boom("handler exploded")


def malformed(tx, payload):
    raise MalformedEvent("data.object has no id")


def make_inbox(engine, handlers, lock_timeout_ms: int = 0) -> Inbox:
    cache = EntitlementCache(redis.Redis.from_url(TEST_REDIS_URL))
    return Inbox(uow=UnitOfWork(engine, cache), handlers=handlers, lock_timeout_ms=lock_timeout_ms)


def test_unhandled_event_type_ends_skipped(clean_db):
    insert_event(clean_db, "evt_1", "customer.created")
    assert make_inbox(clean_db, {}).process("evt_1") == "skipped"
    row = event_row(clean_db, "evt_1")
    assert row["status"] == "skipped" and row["attempts"] == 1 and row["processed_at"]


def test_handled_event_type_ends_processed(clean_db):
    insert_event(clean_db, "evt_1", "invoice.payment_succeeded")
    inbox = make_inbox(clean_db, {"invoice.payment_succeeded": lambda tx, payload: set()})
    assert inbox.process("evt_1") == "processed"
    row = event_row(clean_db, "evt_1")
    assert row["status"] == "processed" and row["attempts"] == 1 and row["processed_at"]


def test_processing_an_event_again_changes_nothing(clean_db):
    calls = []

    def record(tx, payload):
        calls.append(payload)
        return set()

    insert_event(clean_db, "evt_1", "invoice.payment_succeeded")
    inbox = make_inbox(clean_db, {"invoice.payment_succeeded": record})
    inbox.process("evt_1")
    before = event_row(clean_db, "evt_1")
    assert inbox.process("evt_1") is None
    assert event_row(clean_db, "evt_1") == before
    assert len(calls) == 1


def test_unknown_event_id_is_ignored(clean_db):
    assert make_inbox(clean_db, {}).process("evt_never_stored") is None


def test_failed_try_counts_an_attempt_keeps_the_error_and_rolls_back(clean_db):
    insert_event(clean_db, "evt_1", "charge.refunded")
    inbox = make_inbox(clean_db, {"charge.refunded": writes_then_raises})
    for attempt in (1, 2):
        with pytest.raises(Boom):
            inbox.process("evt_1")
        row = event_row(clean_db, "evt_1")
        assert row["status"] == "received"  # Dramatiq retries it
        assert row["attempts"] == attempt
        assert row["error_message"] == "Boom: handler exploded"
        assert row["processed_at"] is None
    assert _project_count(clean_db) == 0


def test_retries_exhausted_marks_the_event_failed_with_its_last_error(clean_db):
    insert_event(clean_db, "evt_1", "charge.refunded")
    inbox = make_inbox(clean_db, {"charge.refunded": writes_then_raises})
    with pytest.raises(Boom):
        inbox.process("evt_1")
    inbox.record_failure("evt_1", "retries exhausted", final=True)
    row = event_row(clean_db, "evt_1")
    assert row["status"] == "failed"
    assert row["attempts"] == 1
    assert row["error_message"] == "Boom: handler exploded"


def test_final_failure_never_overrides_a_handled_event(clean_db):
    insert_event(clean_db, "evt_1", status="processed")
    make_inbox(clean_db, {}).record_failure("evt_1", "retries exhausted", final=True)
    assert event_row(clean_db, "evt_1")["status"] == "processed"


def test_malformed_event_fails_at_once(clean_db):
    insert_event(clean_db, "evt_1", "charge.refunded")
    inbox = make_inbox(clean_db, {"charge.refunded": malformed})
    assert inbox.process("evt_1") == "failed"
    row = event_row(clean_db, "evt_1")
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "data.object has no id" in row["error_message"]


def test_dramatiq_retries_then_marks_the_event_failed(clean_db, settings):
    """The real actors and Retries middleware: max_retries=2 → three tries, then `failed`."""
    broker = StubBroker(
        middleware=[
            Retries(
                max_retries=settings.event_max_retries,
                min_backoff=settings.event_min_backoff_ms,
                max_backoff=settings.event_max_backoff_ms,
            )
        ]
    )
    broker.declare_queue(EVENTS_QUEUE)
    insert_event(clean_db, "evt_1", "charge.refunded")
    declare_event_actors(broker, make_inbox(clean_db, {"charge.refunded": writes_then_raises}))
    worker = Worker(broker, worker_timeout=50)
    worker.start()
    try:
        enqueue_event(broker, "evt_1")
        broker.join(EVENTS_QUEUE, fail_fast=False, timeout=30_000)
        worker.join()
    finally:
        worker.stop()
        broker.close()
    row = event_row(clean_db, "evt_1")
    assert row["status"] == "failed"
    assert row["attempts"] == settings.event_max_retries + 1
    assert row["error_message"] == "Boom: handler exploded"
    assert row["processed_at"] is None


USER_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('acme' || '/' || 'u1', 0))"


def touches_acme_u1(tx, payload):
    return {Owner("acme", "u1")}


def test_event_whose_user_stays_locked_is_busy_and_counts_no_try(clean_db):
    """A lock held past EVENT_LOCK_TIMEOUT_MS (a stuck transaction elsewhere): the try gives up,
    nothing is written, and the event is neither failed nor charged a try."""
    with clean_db.begin() as tx:
        tenants.create_project(tx, "acme", None)
    insert_event(clean_db, "evt_1", "charge.refunded")
    inbox = make_inbox(clean_db, {"charge.refunded": touches_acme_u1}, lock_timeout_ms=200)
    with clean_db.connect() as holder:
        holder.execute(text(USER_LOCK))
        with pytest.raises(UserBusy):
            inbox.process("evt_1")
        holder.rollback()
    row = event_row(clean_db, "evt_1")
    assert (row["status"], row["attempts"], row["error_message"]) == ("received", 0, None)
    assert inbox.process("evt_1") == "processed"
    assert event_row(clean_db, "evt_1")["attempts"] == 1


def test_busy_event_is_sent_again_later_and_applied_once_the_lock_is_free(clean_db, settings):
    """The real actor: a busy try is re-sent with a delay, spending none of the retries."""
    with clean_db.begin() as tx:
        tenants.create_project(tx, "acme", None)
    broker = StubBroker(middleware=[CurrentMessage(), Retries(max_retries=0)])
    broker.declare_queue(EVENTS_QUEUE)
    insert_event(clean_db, "evt_1", "charge.refunded")
    inbox = make_inbox(clean_db, {"charge.refunded": touches_acme_u1}, lock_timeout_ms=200)
    declare_event_actors(broker, inbox)
    worker = Worker(broker, worker_timeout=50)
    worker.start()
    try:
        with clean_db.connect() as holder:
            holder.execute(text(USER_LOCK))
            enqueue_event(broker, "evt_1")
            time.sleep(1.0)  # a few tries' worth of lock timeouts
            assert event_row(clean_db, "evt_1")["status"] == "received"
            holder.rollback()
        broker.join(EVENTS_QUEUE, fail_fast=True, timeout=30_000)
        worker.join()
    finally:
        worker.stop()
        broker.close()
    row = event_row(clean_db, "evt_1")
    assert (row["status"], row["attempts"], row["error_message"]) == ("processed", 1, None)
