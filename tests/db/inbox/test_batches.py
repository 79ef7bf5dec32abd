"""Batched apply (workers/inbox.py process_batch, workers/batching.py): many events in one
transaction, and every event still keeps its own fate.

Against the real database; the batcher is driven by real threads, as Dramatiq's worker threads
drive it."""

from __future__ import annotations

import threading

from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage, Retries
from sqlalchemy import text

from shared.queue import EVENTS_QUEUE, enqueue_events
from tests.db.inbox.test_inbox_bookkeeping import Boom, make_inbox, malformed, writes_then_raises
from tests.support.stores import event_row, insert_event
from workers.actors import declare_event_actors
from workers.batching import EventBatcher


def _writes_project(tx, payload):
    tx.execute(
        text("INSERT INTO projects (id, name) VALUES (:id, 'x')"),
        {"id": f"p-{payload['id']}"},
    )
    return set()


def _projects(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM projects")).scalars())


def test_a_batch_applies_every_event_once_and_a_malformed_one_fails_alone(clean_db):
    for event_id in ("evt_1", "evt_2", "evt_3"):
        insert_event(clean_db, event_id, "invoice.payment_succeeded")
    insert_event(clean_db, "evt_bad", "charge.refunded")
    insert_event(clean_db, "evt_other", "customer.created")
    inbox = make_inbox(
        clean_db, {"invoice.payment_succeeded": _writes_project, "charge.refunded": malformed}
    )

    statuses = inbox.process_batch(["evt_3", "evt_1", "evt_bad", "evt_2", "evt_other", "evt_1"])

    assert statuses == {
        "evt_1": "processed",
        "evt_2": "processed",
        "evt_3": "processed",
        "evt_bad": "failed",
        "evt_other": "skipped",
    }
    assert _projects(clean_db) == {"p-evt_1", "p-evt_2", "p-evt_3"}
    bad = event_row(clean_db, "evt_bad")
    assert bad["status"] == "failed" and "malformed event" in bad["error_message"]
    assert all(event_row(clean_db, e)["attempts"] == 1 for e in ("evt_1", "evt_2", "evt_3"))
    # a second delivery of the same batch changes nothing
    assert set(inbox.process_batch(["evt_1", "evt_2"]).values()) == {None}
    assert event_row(clean_db, "evt_1")["attempts"] == 1


def test_an_unknown_event_in_a_batch_is_answered_none(clean_db):
    insert_event(clean_db, "evt_1", "invoice.payment_succeeded")
    inbox = make_inbox(clean_db, {"invoice.payment_succeeded": _writes_project})
    assert inbox.process_batch(["evt_1", "evt_missing"]) == {
        "evt_1": "processed",
        "evt_missing": None,
    }


def test_a_failing_event_splits_its_batch_and_only_it_is_retried(clean_db):
    """The batch is rolled back and applied one event at a time: the neighbours are processed,
    the failing event raises in its own message's thread with one failed try counted."""
    for event_id in ("evt_1", "evt_2", "evt_3"):
        insert_event(clean_db, event_id, "invoice.payment_succeeded")
    insert_event(clean_db, "evt_boom", "charge.refunded")

    def boom(tx, payload):
        tx.execute(text("INSERT INTO projects (id, name) VALUES ('half-done', 'x')"))
        raise Boom("handler exploded")

    inbox = make_inbox(
        clean_db, {"invoice.payment_succeeded": _writes_project, "charge.refunded": boom}
    )
    batcher = EventBatcher(inbox)
    results = _run_concurrently(batcher, ["evt_1", "evt_boom", "evt_2", "evt_3"])

    assert isinstance(results["evt_boom"], Boom)
    assert {results[e] for e in ("evt_1", "evt_2", "evt_3")} == {"processed"}
    assert _projects(clean_db) == {"p-evt_1", "p-evt_2", "p-evt_3"}
    boomed = event_row(clean_db, "evt_boom")
    assert boomed["status"] == "received" and boomed["attempts"] == 1
    assert "handler exploded" in boomed["error_message"]
    assert all(event_row(clean_db, e)["attempts"] == 1 for e in ("evt_1", "evt_2", "evt_3"))


def test_messages_waiting_during_a_batch_form_the_next_one(clean_db):
    ids = [f"evt_{n:03d}" for n in range(60)]
    for event_id in ids:
        insert_event(clean_db, event_id, "invoice.payment_succeeded")
    inbox = make_inbox(clean_db, {"invoice.payment_succeeded": _writes_project})
    sizes: list[int] = []
    process_batch = inbox.process_batch

    def counting(event_ids):
        sizes.append(len(event_ids))
        return process_batch(event_ids)

    inbox.process_batch = counting  # type: ignore[method-assign]
    results = _run_concurrently(EventBatcher(inbox, max_batch=16), ids)

    assert set(results.values()) == {"processed"}
    assert _projects(clean_db) == {f"p-{e}" for e in ids}
    assert max(sizes) > 1 and max(sizes) <= 16
    assert sum(sizes) == len(ids)


def _run_concurrently(batcher: EventBatcher, event_ids: list[str]) -> dict[str, object]:
    """Each event from its own thread, as Dramatiq's worker threads call the actor."""
    results: dict[str, object] = {}
    start = threading.Barrier(len(event_ids))

    def call(event_id: str) -> None:
        start.wait()
        try:
            results[event_id] = batcher.process(event_id)
        except Exception as exc:
            results[event_id] = exc

    threads = [threading.Thread(target=call, args=(e,)) for e in event_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == len(event_ids)
    return results


def test_a_message_of_several_events_sends_a_failing_one_on_alone(clean_db, settings):
    """The real actors and Retries middleware: the neighbours of a failing event are processed
    by the many-ids message; the failing event goes on in a message of its own and ends
    `failed` after the same number of tries as any event (EVENT_MAX_RETRIES + 1)."""
    broker = StubBroker(
        middleware=[
            CurrentMessage(),
            Retries(
                max_retries=settings.event_max_retries,
                min_backoff=settings.event_min_backoff_ms,
                max_backoff=settings.event_max_backoff_ms,
            ),
        ]
    )
    broker.declare_queue(EVENTS_QUEUE)
    for event_id in ("evt_1", "evt_2", "evt_3"):
        insert_event(clean_db, event_id, "invoice.payment_succeeded")
    insert_event(clean_db, "evt_boom", "charge.refunded")
    inbox = make_inbox(
        clean_db,
        {"invoice.payment_succeeded": _writes_project, "charge.refunded": writes_then_raises},
    )
    declare_event_actors(broker, inbox, EventBatcher(inbox))
    worker = Worker(broker, worker_timeout=50)
    worker.start()
    try:
        enqueue_events(broker, ["evt_1", "evt_boom", "evt_2", "evt_3"])
        broker.join(EVENTS_QUEUE, fail_fast=False, timeout=30_000)
        worker.join()
    finally:
        worker.stop()
        broker.close()
    assert _projects(clean_db) == {"p-evt_1", "p-evt_2", "p-evt_3"}
    assert all(event_row(clean_db, e)["status"] == "processed" for e in ("evt_1", "evt_2", "evt_3"))
    row = event_row(clean_db, "evt_boom")
    assert row["status"] == "failed"
    assert row["attempts"] == settings.event_max_retries + 1
    assert row["error_message"] == "Boom: handler exploded"
