"""Sign-in attempts per client address: SIGN_IN_ATTEMPTS per SIGN_IN_WINDOW_S, counted in Redis
so that every web process shares the count; while Redis cannot answer, each process counts on
its own (the limit then holds per process)."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger("ingress.dashboard")

SIGN_IN_ATTEMPTS = 5
SIGN_IN_WINDOW_S = 60
KEY_PREFIX = "billing:dashboard:sign-in"


class SignInLimiter:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.local: dict[str, int] = {}  # key → attempts, while Redis is down

    async def allow(self, client: str) -> bool:
        """Count one attempt of `client`; False once it is past the limit of this window."""
        window = int(time.time()) // SIGN_IN_WINDOW_S
        key = f"{KEY_PREFIX}:{client}:{window}"
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, SIGN_IN_WINDOW_S + 1)
                attempts, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("dashboard.sign_in_limit_local", error=str(exc))
            attempts = self._count_locally(key, window)
        return int(attempts) <= SIGN_IN_ATTEMPTS

    def _count_locally(self, key: str, window: int) -> int:
        suffix = f":{window}"
        self.local = {k: n for k, n in self.local.items() if k.endswith(suffix)}
        self.local[key] = self.local.get(key, 0) + 1
        return self.local[key]
