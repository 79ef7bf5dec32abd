"""What every ingress route needs, built once by the composition root (ingress/app.py)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import dramatiq
import redis.asyncio as aioredis

from shared.settings import Settings


@dataclass
class IngressContext:
    settings: Settings
    pool: asyncpg.Pool
    broker: dramatiq.Broker
    redis: aioredis.Redis
