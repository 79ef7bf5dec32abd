"""The composition root of the worker side, shared by the worker process, the scheduler and the
CLI: one engine, one broker, one Redis client and one Stripe client, built once and passed in.
Nothing here connects: each store is reached on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import stripe
from dramatiq.brokers.redis import RedisBroker
from dramatiq.rate_limits.backends import RedisBackend
from sqlalchemy import Engine

from shared.db.engine import create_sync_engine
from shared.entitlements.cache_refresh import EntitlementCache
from shared.queue import (
    ENRICH_CUSTOMER_ACTOR,
    ENRICH_SESSION_ACTOR,
    create_broker,
    enqueue_deliveries,
    enqueue_event,
    enqueue_reconciliation,
    offer_enrichment,
)
from shared.redis_client import create_redis
from shared.settings import Settings
from shared.stripe_api import create_stripe_client
from shared.unit_of_work import UnitOfWork
from workers.enrichment_offers import GatheredOffers, OfferOnce, still_needed
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Handler, Inbox
from workers.outgoing.sender import Sender, http_client


@dataclass
class WorkerParts:
    settings: Settings
    engine: Engine
    broker: RedisBroker
    stripe_client: stripe.StripeClient | None
    uow: UnitOfWork
    deps: HandlerDeps
    handlers: dict[str, Handler]
    inbox: Inbox
    sender: Sender

    def enqueue_event(self, event_id: str) -> None:
        enqueue_event(self.broker, event_id)

    def send_deliveries(self, delivery_ids: list[str]) -> None:
        enqueue_deliveries(self.broker, delivery_ids)

    def send_reconciliation(self, run_id: str, days_back: int) -> None:
        enqueue_reconciliation(self.broker, run_id, days_back)


def build_worker_parts(settings: Settings, pool_size: int = 5) -> WorkerParts:
    engine = create_sync_engine(settings, pool_size=pool_size)
    stripe_client = create_stripe_client(settings)
    broker = create_broker(settings)
    redis_client = create_redis(settings)
    uow = UnitOfWork(
        engine,
        EntitlementCache(redis_client),
        send_deliveries=partial(enqueue_deliveries, broker),
    )
    deps = HandlerDeps()
    if stripe_client is not None:
        offers = GatheredOffers(partial(offer_enrichment, broker), partial(still_needed, engine))
        deps = HandlerDeps(
            enrich_customer=OfferOnce(partial(offers.offer, ENRICH_CUSTOMER_ACTOR)),
            enrich_session_product=OfferOnce(partial(offers.offer, ENRICH_SESSION_ACTOR)),
        )
    handlers = bind_handlers(deps)
    inbox = Inbox(
        uow=uow,
        handlers=handlers,
        mode=settings.stripe_mode,
        lock_timeout_ms=settings.event_lock_timeout_ms,
    )
    sender = Sender(
        engine=engine,
        http=http_client(settings.webhook_timeout_s),
        limits=RedisBackend(client=redis_client),
        retry_delays_s=settings.webhook_retry_delays_s,
        timeout_s=settings.webhook_timeout_s,
    )
    return WorkerParts(settings, engine, broker, stripe_client, uow, deps, handlers, inbox, sender)
