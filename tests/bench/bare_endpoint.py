"""The yardstick: a bare ASGI endpoint doing what the webhook path must do at least, one
asyncpg INSERT and one Redis push, with no verification and no framework."""

from __future__ import annotations

import json
import os
from typing import Any

import asyncpg
import redis.asyncio as aioredis

DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@localhost:5432/billing_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/8")
state: dict[str, Any] = {}

INSERT = """INSERT INTO webhook_events (id, type, created, payload) VALUES ($1, $2, $3, $4::jsonb)
            ON CONFLICT (id) DO NOTHING RETURNING true"""


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["pool"] = await asyncpg.create_pool(DSN, min_size=1, max_size=10)
                state["redis"] = aioredis.Redis.from_url(REDIS_URL)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["pool"].close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    event = json.loads(body)
    text = body.decode()
    if await state["pool"].fetchval(INSERT, event["id"], event["type"], event["created"], text):
        await state["redis"].lpush("bench:events", event["id"])
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"received":true}'})
