"""The Redis queue between ingress and workers: one Dramatiq broker per process.

Producers send messages by actor name, so the ingress never imports worker code.
"""

from __future__ import annotations

import dramatiq
import structlog
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import dq_name
from dramatiq.middleware import AgeLimit, Callbacks, CurrentMessage, Pipelines, Retries, TimeLimit
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from shared.redis_client import create_redis
from shared.settings import Settings

log = structlog.get_logger("shared.queue")

EVENTS_QUEUE = "events"
MAINTENANCE_QUEUE = "maintenance"
# Outgoing webhooks on their own queue: a slow receiver never delays Stripe's events.
WEBHOOKS_QUEUE = "webhooks"
DELIVER_ACTOR = "deliver_webhook"
# Stripe API look-ups asked for by events, beside the event path.
ENRICHMENT_QUEUE = "enrichment"
ENRICH_CUSTOMER_ACTOR = "enrich_customer_owner"
ENRICH_SESSION_ACTOR = "enrich_session_product"
RELAY_DELIVERIES_ACTOR = "relay_due_deliveries"
PROCESS_EVENT_ACTOR = "process_webhook_event"
# Several stored events in one message (the ids of one ingress group commit): Dramatiq's own
# cost is paid once for them. An event of it that fails goes on alone (PROCESS_EVENT_ACTOR).
PROCESS_EVENTS_ACTOR = "process_webhook_events"
MAX_IDS_PER_MESSAGE = 100
RECONCILE_ACTOR = "run_reconciliation"
RELAY_ACTOR = "relay_stranded_events"
IMPORT_ACTOR = "run_import"
RESYNC_ACTOR = "resync_customer"
RESULT_TTL_MS = 10 * 60 * 1000
HEARTBEAT_TIMEOUT_MS = 15_000
MAINTENANCE_CHANCE_PER_MILLION = 50_000

DECLARED_QUEUES = (EVENTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, ENRICHMENT_QUEUE)

# Ten minutes per message: an event touches a handful of rows; a reconciliation run gets its own.
EVENT_TIME_LIMIT_MS = 10 * 60 * 1000


def create_broker(settings: Settings) -> RedisBroker:
    """A broker whose Redis calls fail fast, so a dead Redis costs the ingress milliseconds."""
    client = create_redis(settings)
    middleware = [
        Results(backend=RedisBackend(client=client), result_ttl=RESULT_TTL_MS),  # type: ignore[no-untyped-call]
        AgeLimit(),
        TimeLimit(time_limit=EVENT_TIME_LIMIT_MS),
        Callbacks(),
        Pipelines(),
        CurrentMessage(),
        Retries(
            max_retries=settings.event_max_retries,
            min_backoff=settings.event_min_backoff_ms,
            max_backoff=settings.event_max_backoff_ms,
        ),
    ]
    # Given a client, not a URL: from a URL RedisBroker would drop the socket timeouts.
    # A killed worker's unacknowledged messages go back to their queue once it has missed
    # heartbeats for 15 s, found by any worker's maintenance (5 % of Redis calls).
    broker = RedisBroker(
        client=client,
        middleware=middleware,
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        maintenance_chance=MAINTENANCE_CHANCE_PER_MILLION,
    )  # type: ignore[no-untyped-call]
    for queue_name in DECLARED_QUEUES:
        broker.declare_queue(queue_name)
    dramatiq.set_broker(broker)
    return broker


def single_event_message(event_id: str) -> dramatiq.Message[None]:
    return dramatiq.Message(
        queue_name=EVENTS_QUEUE,
        actor_name=PROCESS_EVENT_ACTOR,
        args=(event_id,),
        kwargs={},
        options={},
    )


def enqueue_event(broker: dramatiq.Broker, event_id: str) -> None:
    """Put a stored webhook event's id on the events queue."""
    broker.enqueue(single_event_message(event_id))


def retry_delay_ms(broker: dramatiq.Broker) -> int:
    """The wait before an event's first retry: the Retries middleware's minimum backoff."""
    retries = next(m for m in broker.middleware if isinstance(m, Retries))
    return int(retries.min_backoff)


def enqueue_events(broker: dramatiq.Broker, event_ids: list[str]) -> None:
    """Put stored events' ids on the events queue, up to MAX_IDS_PER_MESSAGE a message."""
    if len(event_ids) == 1:
        enqueue_event(broker, event_ids[0])
        return
    for start in range(0, len(event_ids), MAX_IDS_PER_MESSAGE):
        broker.enqueue(
            dramatiq.Message(
                queue_name=EVENTS_QUEUE,
                actor_name=PROCESS_EVENTS_ACTOR,
                args=(event_ids[start : start + MAX_IDS_PER_MESSAGE],),
                kwargs={},
                options={},
            )
        )


def enqueue_maintenance(broker: dramatiq.Broker, actor_name: str, **kwargs: object) -> None:
    """Send a periodic or operator-triggered job (relay, reconciliation) by actor name."""
    broker.enqueue(
        dramatiq.Message(
            queue_name=MAINTENANCE_QUEUE,
            actor_name=actor_name,
            args=(),
            kwargs=dict(kwargs),
            options={},
        )
    )


def enqueue_reconciliation(broker: dramatiq.Broker, run_id: str, days_back: int) -> None:
    """Ask a worker to carry out a reconciliation run whose row already exists."""
    enqueue_maintenance(broker, RECONCILE_ACTOR, run_id=run_id, days_back=days_back)


def enqueue_relay(broker: dramatiq.Broker, **outage: float) -> None:
    """`outage_from`/`outage_to` (unix seconds): also relay, at once, every event queued in
    that window (Redis was down, so none of their messages reached it)."""
    enqueue_maintenance(broker, RELAY_ACTOR, **outage)


def enqueue_deliveries(broker: dramatiq.Broker, delivery_ids: list[str]) -> None:
    """Ask the workers to send these outgoing webhooks now."""
    for delivery_id in delivery_ids:
        broker.enqueue(
            dramatiq.Message(
                queue_name=WEBHOOKS_QUEUE,
                actor_name=DELIVER_ACTOR,
                args=(delivery_id,),
                kwargs={},
                options={},
            )
        )


def offer_enrichment(broker: dramatiq.Broker, actor_name: str, *args: object) -> None:
    """Ask for a Stripe look-up; Redis down only loses the look-up (reconciliation catches up),
    never the event that asked."""
    try:
        broker.enqueue(
            dramatiq.Message(
                queue_name=ENRICHMENT_QUEUE,
                actor_name=actor_name,
                args=args,
                kwargs={},
                options={},
            )
        )
    except Exception as exc:
        log.warning("enrichment.enqueue_failed", actor=actor_name, error=str(exc))


def enqueue_delivery_relay(broker: dramatiq.Broker) -> None:
    broker.enqueue(
        dramatiq.Message(
            queue_name=WEBHOOKS_QUEUE,
            actor_name=RELAY_DELIVERIES_ACTOR,
            args=(),
            kwargs={},
            options={},
        )
    )


def enqueue_import(broker: dramatiq.Broker, import_id: str) -> None:
    """Ask a worker to run (or resume) an import whose row already exists."""
    enqueue_maintenance(broker, IMPORT_ACTOR, import_id=import_id)


def call_maintenance(
    broker: dramatiq.Broker, actor_name: str, timeout_s: float, **kwargs: object
) -> object:
    """Send a job to a worker and wait for its result (an admin action answered at once).

    Raises dramatiq's ResultTimeout when no worker finished it in time, ResultFailure when the
    job raised."""
    message = broker.enqueue(
        dramatiq.Message(
            queue_name=MAINTENANCE_QUEUE,
            actor_name=actor_name,
            args=(),
            kwargs=dict(kwargs),
            options={"store_results": True},
        )
    )
    backend = next(m.backend for m in broker.middleware if isinstance(m, Results))
    return message.get_result(backend=backend, block=True, timeout=int(timeout_s * 1000))


def queue_depths(broker: RedisBroker) -> dict[str, int]:
    """Messages per queue not yet acknowledged (waiting, delayed for a retry, or being run), as
    Dramatiq's Redis broker keeps them: one hash `<ns>:<queue>[.DQ].msgs` of message bodies."""
    pipe = broker.client.pipeline()
    for queue_name in DECLARED_QUEUES:
        for name in (queue_name, dq_name(queue_name)):
            pipe.hlen(f"{broker.namespace}:{name}.msgs")
    counts = iter(pipe.execute())
    return {queue_name: int(next(counts)) + int(next(counts)) for queue_name in DECLARED_QUEUES}
