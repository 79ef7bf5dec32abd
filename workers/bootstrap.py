"""Wiring of the worker side, shared by the worker process and the `billing reconcile` command:
one engine, one broker, one Redis client and one Stripe client, built once and passed in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import redis
import stripe
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import Engine

from shared.db.engine import create_sync_engine
from shared.queue import create_broker
from shared.settings import Settings
from shared.stripe_api import (
    CustomerMetadata,
    create_stripe_client,
    product_of_checkout_session,
)
from workers.entitlements.refresh import EntitlementRefresher
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Handler, Inbox


@dataclass
class WorkerParts:
    settings: Settings
    engine: Engine
    broker: RedisBroker
    stripe_client: stripe.StripeClient | None
    refresher: EntitlementRefresher
    handlers: dict[str, Handler]
    inbox: Inbox


def build_worker_parts(settings: Settings) -> WorkerParts:
    engine = create_sync_engine(settings)
    broker = create_broker(settings)
    cache = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    stripe_client = create_stripe_client(settings)
    refresher = EntitlementRefresher(cache)
    deps = HandlerDeps()
    if stripe_client is not None:
        deps = HandlerDeps(
            product_of_session=partial(product_of_checkout_session, stripe_client),
            customer_metadata=CustomerMetadata(stripe_client),
        )
    handlers = bind_handlers(deps)
    inbox = Inbox(
        engine=engine,
        handlers=handlers,
        recompute=refresher.recompute,
        after_commit=refresher.store,
    )
    return WorkerParts(settings, engine, broker, stripe_client, refresher, handlers, inbox)
