"""The group-commit yardstick: a bare ASGI endpoint storing events the way the webhook path
does since it commits in groups, with nothing else (no signature, no validation, no
framework). The requests that arrive while a commit is in flight wait for the next one, which
inserts them all in one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id`; each is
answered once that commit is done, then the new ids go to Redis in one LPUSH.

    uvicorn --workers 2 tests.bench.bare_group_endpoint:app
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import asyncpg
import redis.asyncio as aioredis

DSN = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@localhost:5432/billing_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/8")
MAX_BATCH = 500
INSERT = """INSERT INTO webhook_events (id, type, created, payload)
            SELECT id, type, created, payload::jsonb
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])
                 AS e(id, type, created, payload)
            ON CONFLICT (id) DO NOTHING RETURNING id"""
ANSWER = b'{"received":true}'


class GroupCommit:
    def __init__(self, pool: asyncpg.Pool, redis: aioredis.Redis) -> None:
        self.pool, self.redis = pool, redis
        self.pending: list[tuple[tuple[str, str, int, str], asyncio.Future[bool]]] = []
        self.wakeup = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def store(self, event_id: str, event_type: str, created: int, payload: str) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending.append(((event_id, event_type, created, payload), future))
        self.wakeup.set()
        return await future

    async def run(self) -> None:
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending:
                batch = self.pending[:MAX_BATCH]
                del self.pending[:MAX_BATCH]
                rows = list({row[0]: row for row, _ in batch}.values())
                columns = [list(column) for column in zip(*rows, strict=True)]
                try:
                    new = {record["id"] for record in await self.pool.fetch(INSERT, *columns)}
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():  # else its request went away
                            future.set_exception(exc)
                    continue
                for row, future in batch:
                    if not future.done():
                        future.set_result(row[0] in new)
                if new:
                    await self.redis.lpush("bench:events", *new)


state: dict[str, Any] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["pool"] = await asyncpg.create_pool(DSN, min_size=1, max_size=2)
                state["redis"] = aioredis.Redis.from_url(REDIS_URL)
                state["commit"] = GroupCommit(state["pool"], state["redis"])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                state["commit"].task.cancel()
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
    await state["commit"].store(event["id"], event["type"], event["created"], body.decode())
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})
