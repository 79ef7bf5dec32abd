"""Thin Dramatiq actors: each unpacks a message and calls one function it was given.

Retries, backoff and time limits are Dramatiq middleware (shared/queue.py), not code here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from shared.queue import (
    DELIVER_ACTOR,
    ENRICH_CUSTOMER_ACTOR,
    ENRICH_SESSION_ACTOR,
    ENRICHMENT_QUEUE,
    EVENTS_QUEUE,
    IMPORT_ACTOR,
    MAINTENANCE_QUEUE,
    PROCESS_EVENT_ACTOR,
    PROCESS_EVENTS_ACTOR,
    RECONCILE_ACTOR,
    RELAY_ACTOR,
    RELAY_DELIVERIES_ACTOR,
    RESYNC_ACTOR,
    WEBHOOKS_QUEUE,
    retry_delay_ms,
    single_event_message,
)
from workers.batching import EventBatcher
from workers.inbox import Inbox, UserBusy

MARK_FAILED_ACTOR = "mark_webhook_event_failed"
# An event whose user is locked by a stuck transaction comes back after a few seconds (spread,
# so a stuck user's events do not all return at once), as often as it takes.
BUSY_RETRY_MS = (2_000, 5_000)


def declare_event_actors(
    broker: dramatiq.Broker, inbox: Inbox, batcher: EventBatcher | None = None
) -> None:
    """Events go through `batcher` (workers/batching.py) if given, else one by one."""
    apply_event = batcher.process if batcher is not None else inbox.process
    apply_many = batcher.process_many if batcher is not None else EventBatcher(inbox).process_many

    @dramatiq.actor(
        broker=broker,
        actor_name=PROCESS_EVENT_ACTOR,
        queue_name=EVENTS_QUEUE,
        on_retry_exhausted=MARK_FAILED_ACTOR,
    )
    def process_webhook_event(event_id: str) -> None:
        try:
            apply_event(event_id)
        except UserBusy:
            # Sent again as it is, so the wait spends none of the event's retries. Should Redis
            # be down as well, the event is still `received` and the relay sends it.
            message = CurrentMessage.get_current_message()
            if message is not None:
                broker.enqueue(message, delay=random.randint(*BUSY_RETRY_MS))

    @dramatiq.actor(
        broker=broker, actor_name=PROCESS_EVENTS_ACTOR, queue_name=EVENTS_QUEUE, max_retries=0
    )
    def process_webhook_events(event_ids: list[str]) -> None:
        """Several events in one message. One that fails (its try counted) or finds its user
        busy goes on alone, as a message of its own with its own retries; its neighbours are
        done. Should Redis refuse that message, the event is still `received`: the relay."""
        for event_id, outcome in apply_many(event_ids).items():
            if isinstance(outcome, UserBusy):
                broker.enqueue(single_event_message(event_id), delay=random.randint(*BUSY_RETRY_MS))
            elif isinstance(outcome, Exception):  # this try was its first: one retry spent
                message = single_event_message(event_id).copy(options={"retries": 1})
                broker.enqueue(message, delay=retry_delay_ms(broker))

    @dramatiq.actor(broker=broker, actor_name=MARK_FAILED_ACTOR, queue_name=EVENTS_QUEUE)
    def mark_webhook_event_failed(message_data: dict[str, Any], retry_info: dict[str, Any]) -> None:
        """Called by the Retries middleware once an event's retries are spent."""
        event_id = message_data["args"][0]
        inbox.record_failure(event_id, "retries exhausted", final=True)


def declare_relay_actor(broker: dramatiq.Broker, relay: Callable[..., int]) -> None:
    @dramatiq.actor(
        broker=broker, actor_name=RELAY_ACTOR, queue_name=MAINTENANCE_QUEUE, max_retries=0
    )
    def relay_stranded_events(outage_from: float = 0.0, outage_to: float = 0.0) -> None:
        relay(outage_from=outage_from, outage_to=outage_to)


RECONCILIATION_TIME_LIMIT_MS = 2 * 3600 * 1000


def declare_reconciliation_actor(
    broker: dramatiq.Broker, run_reconciliation: Callable[[str, int], None]
) -> None:
    @dramatiq.actor(
        broker=broker,
        actor_name=RECONCILE_ACTOR,
        queue_name=MAINTENANCE_QUEUE,
        max_retries=0,  # a failed run is recorded; the next run starts over
        time_limit=RECONCILIATION_TIME_LIMIT_MS,
    )
    def reconcile(run_id: str, days_back: int) -> None:
        run_reconciliation(run_id, days_back)


IMPORT_TIME_LIMIT_MS = 24 * 3600 * 1000
RESYNC_TIME_LIMIT_MS = 5 * 60 * 1000


def declare_adoption_actors(
    broker: dramatiq.Broker,
    run_import: Callable[[str], None],
    resync: Callable[[str], dict[str, Any]],
) -> None:
    @dramatiq.actor(
        broker=broker,
        actor_name=IMPORT_ACTOR,
        queue_name=MAINTENANCE_QUEUE,
        max_retries=0,  # a failed import is recorded and resumed by an operator (--resume)
        time_limit=IMPORT_TIME_LIMIT_MS,
    )
    def import_account(import_id: str) -> None:
        run_import(import_id)

    @dramatiq.actor(
        broker=broker,
        actor_name=RESYNC_ACTOR,
        queue_name=MAINTENANCE_QUEUE,
        max_retries=0,  # the caller is waiting for the answer, and retries itself if it wants
        time_limit=RESYNC_TIME_LIMIT_MS,
        store_results=True,
    )
    def resync_customer(customer_id: str) -> dict[str, Any]:
        return resync(customer_id)


def declare_outgoing_actors(
    broker: dramatiq.Broker,
    send: Callable[[str], object],
    relay: Callable[[], int],
    time_limit_ms: int,
) -> None:
    @dramatiq.actor(
        broker=broker,
        actor_name=DELIVER_ACTOR,
        queue_name=WEBHOOKS_QUEUE,
        max_retries=0,  # the delivery's own schedule (CONTRACT section 9) decides the next try
        time_limit=time_limit_ms,
    )
    def deliver_webhook(delivery_id: str) -> None:
        send(delivery_id)

    @dramatiq.actor(
        broker=broker, actor_name=RELAY_DELIVERIES_ACTOR, queue_name=WEBHOOKS_QUEUE, max_retries=0
    )
    def relay_due_deliveries() -> None:
        relay()


def declare_enrichment_actors(
    broker: dramatiq.Broker,
    customer_owner: Callable[[str, int], None],
    session_product: Callable[[str, str, int], None],
) -> None:
    """Dramatiq's retries (EVENT_MAX_RETRIES, backoff) cover a slow or unreachable Stripe API."""

    @dramatiq.actor(broker=broker, actor_name=ENRICH_CUSTOMER_ACTOR, queue_name=ENRICHMENT_QUEUE)
    def enrich_customer_owner(customer_id: str, created: int) -> None:
        customer_owner(customer_id, created)

    @dramatiq.actor(broker=broker, actor_name=ENRICH_SESSION_ACTOR, queue_name=ENRICHMENT_QUEUE)
    def enrich_session_product(session_id: str, payment_intent_id: str, created: int) -> None:
        session_product(session_id, payment_intent_id, created)
