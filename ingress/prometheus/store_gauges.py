"""The `billing_events{status}` and `billing_queue_depth{queue}` gauges, read when scraped: one
GROUP BY on the events' status index and one Redis pipeline of list lengths. A store that does
not answer within READ_TIMEOUT_S leaves its gauge out of that scrape (the counters still come)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import redis.asyncio as aioredis
import structlog
from dramatiq.common import dq_name
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from shared.db.webhook_events import count_by_status_async
from shared.queue import ENRICHMENT_QUEUE, EVENTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE
from shared.statuses import EventStatus

log = structlog.get_logger("ingress.metrics")
T = TypeVar("T")
READ_TIMEOUT_S = 2.0
DRAMATIQ_NAMESPACE = "dramatiq"  # RedisBroker's default: a queue is the list `dramatiq:<queue>`
# Each queue, and its delayed messages (retries waiting for their backoff) as `<queue>.DQ`.
QUEUES = tuple(
    name
    for queue in (EVENTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, ENRICHMENT_QUEUE)
    for name in (queue, dq_name(queue))
)


@dataclass(eq=False)  # registered in a registry: hashed by identity
class StoreGauges(Collector):
    """Values read for one scrape; None for a store that did not answer."""

    events_by_status: dict[str, int] | None = None
    queue_depths: dict[str, int] | None = None

    def collect(self) -> Iterator[Metric]:
        if self.events_by_status is not None:
            events = GaugeMetricFamily(
                "billing_events", "Stored webhook events, by status.", labels=["status"]
            )
            for status in EventStatus:
                events.add_metric([status.value], self.events_by_status.get(status.value, 0))
            yield events
        if self.queue_depths is not None:
            depth = GaugeMetricFamily(
                "billing_queue_depth", "Messages waiting in a queue.", labels=["queue"]
            )
            for queue, length in self.queue_depths.items():
                depth.add_metric([queue], length)
            yield depth


async def read_store_gauges(pool: asyncpg.Pool, redis: aioredis.Redis) -> StoreGauges:
    events, depths = await asyncio.gather(
        _read("billing_events", count_by_status_async(pool)),
        _read("billing_queue_depth", _queue_depths(redis)),
    )
    return StoreGauges(events, depths)


async def _queue_depths(redis: aioredis.Redis) -> dict[str, int]:
    async with redis.pipeline(transaction=False) as pipe:
        for queue in QUEUES:
            pipe.llen(f"{DRAMATIQ_NAMESPACE}:{queue}")
        lengths = await pipe.execute()
    return {queue: int(length) for queue, length in zip(QUEUES, lengths, strict=True)}


async def _read(gauge: str, read: Coroutine[Any, Any, T]) -> T | None:
    try:
        return await asyncio.wait_for(read, READ_TIMEOUT_S)
    except Exception as exc:  # a store down: the scrape still answers, without this gauge
        log.warning("metrics.gauge_unavailable", gauge=gauge, error=f"{type(exc).__name__}: {exc}")
        return None
