"""The ingress's group commit: concurrent webhooks stored together, each answered exactly."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
from sqlalchemy import Engine

from ingress.group_commit import GroupCommitter
from shared.db.engine import create_async_pool
from shared.db.webhook_events import EventRow
from shared.settings import Settings
from tests.support.stores import CLOSED_POSTGRES_URL, settings_for, stored_event_ids


def row(event_id: str, payload: str | None = None) -> EventRow:
    body = {"id": event_id, "type": "customer.created", "created": 1, "data": {"object": {}}}
    return EventRow(id=event_id, type="customer.created", api_version=None, created=1,
                    livemode=False, payload=payload or json.dumps(body))  # fmt: skip


async def store_all(settings: Settings, rows: list[EventRow]) -> list[Any]:
    pool = await create_async_pool(settings)
    committer = GroupCommitter(pool)
    committer.start()
    try:
        return await asyncio.gather(*(committer.store(r) for r in rows), return_exceptions=True)
    finally:
        await committer.stop()
        await pool.close()


def test_concurrent_copies_of_one_event_are_new_exactly_once(
    settings: Settings, clean_db: Engine
) -> None:
    rows = [row(f"evt_{n % 10}") for n in range(60)]  # each of 10 ids six times, interleaved

    answers = asyncio.run(store_all(settings, rows))

    new = [r["id"] for r, answer in zip(rows, answers, strict=True) if answer is True]
    assert sorted(new) == sorted({r["id"] for r in rows})  # one True per id
    assert answers.count(False) == 50
    assert sorted(stored_event_ids(clean_db)) == sorted({r["id"] for r in rows})


def test_a_row_postgresql_refuses_fails_alone_not_its_batch(
    settings: Settings, clean_db: Engine
) -> None:
    rows = [row("evt_ok_1"), row("evt_bad", payload='{"a": "\\u0000"}'), row("evt_ok_2")]

    answers = asyncio.run(store_all(settings, rows))

    assert answers[0] is True and answers[2] is True
    assert isinstance(answers[1], asyncpg.DataError)
    assert sorted(stored_event_ids(clean_db)) == ["evt_ok_1", "evt_ok_2"]


def test_a_failed_commit_fails_every_request_in_it_and_stores_none(clean_db: Engine) -> None:
    down = settings_for(DATABASE_URL=CLOSED_POSTGRES_URL)

    answers = asyncio.run(store_all(down, [row("evt_1"), row("evt_2")]))

    assert all(isinstance(answer, OSError) for answer in answers), answers  # each: 503
    assert stored_event_ids(clean_db) == []
