"""The worker process's composition root; `dramatiq workers.main` imports it.

Settings are read once, and one engine, one broker and one Redis client are built and passed in.
"""

from __future__ import annotations

from functools import partial

import redis

from shared.db.engine import create_sync_engine
from shared.log_setup import configure_logging
from shared.queue import create_broker, enqueue_event
from shared.settings import load_settings
from workers.actors import declare_event_actors, declare_relay_actor
from workers.handlers import HANDLERS
from workers.inbox import Inbox
from workers.relay import relay_stranded_events

settings = load_settings()
configure_logging(settings.log_format)
engine = create_sync_engine(settings)
broker = create_broker(settings)
cache_redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)

inbox = Inbox(
    engine=engine,
    handlers=HANDLERS,
    recompute=lambda tx, owners: None,
    after_commit=lambda owners: None,
)
declare_event_actors(broker, inbox)
declare_relay_actor(
    broker,
    partial(
        relay_stranded_events,
        engine,
        partial(enqueue_event, broker),
        settings.relay_after_s,
    ),
)
