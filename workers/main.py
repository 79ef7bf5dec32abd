"""The worker process's composition root; `dramatiq workers.main` imports it.

Settings are read once, and one engine, one broker, one Redis client and one Stripe client are
built here and passed in.
"""

from __future__ import annotations

from functools import partial

import redis

from shared.db.engine import create_sync_engine
from shared.log_setup import configure_logging
from shared.queue import create_broker, enqueue_event
from shared.settings import load_settings
from shared.stripe_api import create_stripe_client, product_of_checkout_session
from workers.actors import declare_event_actors, declare_relay_actor
from workers.entitlements.refresh import EntitlementRefresher
from workers.handlers import bind_handlers
from workers.handlers.deps import HandlerDeps
from workers.inbox import Inbox
from workers.relay import relay_stranded_events

settings = load_settings()
configure_logging(settings.log_format)
engine = create_sync_engine(settings)
broker = create_broker(settings)
cache_client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
stripe_client = create_stripe_client(settings)

refresher = EntitlementRefresher(cache_client)
handler_deps = HandlerDeps(
    product_of_session=partial(product_of_checkout_session, stripe_client) if stripe_client else None
)
inbox = Inbox(
    engine=engine,
    handlers=bind_handlers(handler_deps),
    recompute=refresher.recompute,
    after_commit=refresher.store,
)
declare_event_actors(broker, inbox)
declare_relay_actor(
    broker,
    partial(relay_stranded_events, engine, partial(enqueue_event, broker), settings.relay_after_s),
)
