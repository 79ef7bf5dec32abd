"""The one way a process connects to Redis: the same URL and timeouts for the queue, the cache
and health checks, so a dead Redis costs every caller about a second, never a hang."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from shared.settings import Settings

CONNECT_TIMEOUT_S = 1.0
SOCKET_TIMEOUT_S = 5.0


def create_redis(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
    )


def create_async_redis(settings: Settings) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
    )
