"""Group commit for the webhook path: the requests that arrive while one commit is in flight are
stored together by the next, in one multi-row INSERT … ON CONFLICT DO NOTHING with one commit,
and each is answered after the commit that holds it. Under load one round trip serves hundreds
of webhooks; alone, a request waits for nothing but its own insert.

A failed commit fails every request in it (503: Stripe sends them again). One row PostgreSQL
cannot store (a DataError) must not fail its neighbours, so such a batch is stored again one row
at a time, and only the bad row is refused (400).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg
import structlog

from shared.db.webhook_events import EventRow, insert_if_new_async, insert_many_if_new_async

log = structlog.get_logger("ingress.group_commit")
MAX_BATCH = 500


@dataclass
class GroupCommitter:
    pool: asyncpg.Pool
    max_batch: int = MAX_BATCH
    _pending: list[tuple[EventRow, asyncio.Future[bool]]] = field(default_factory=list)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def store(self, row: EventRow) -> bool:
        """True when the event is new, False for an id already stored (or stored by an earlier
        request of the same batch). Raises what the store raised."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[EventRow, asyncio.Future[bool]]]) -> None:
        first: dict[str, EventRow] = {}
        for row, _ in batch:
            first.setdefault(row["id"], row)
        try:
            new_ids = await insert_many_if_new_async(self.pool, list(first.values()))
        except asyncpg.DataError:
            await self._commit_one_by_one(batch)
            return
        except Exception as exc:  # the database: every request of this commit answers 503
            for _, future in batch:
                _settle(future, exc)
            return
        answered: set[str] = set()
        for row, future in batch:
            _settle(future, row["id"] in new_ids and row["id"] not in answered)
            answered.add(row["id"])

    async def _commit_one_by_one(self, batch: list[tuple[EventRow, asyncio.Future[bool]]]) -> None:
        for row, future in batch:
            try:
                _settle(future, await insert_if_new_async(self.pool, row))
            except Exception as exc:
                _settle(future, exc)


def _settle(future: asyncio.Future[bool], outcome: bool | BaseException) -> None:
    if future.done():  # its request went away (client disconnected)
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
