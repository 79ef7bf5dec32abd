"""Recompute in the transaction, mark the cache dirty before commit, fill it after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import redis
from sqlalchemy import Connection

from shared.cache import (
    DIRTY_TTL_S,
    ENTRY_TTL_S,
    MARK_DIRTY,
    STORE_IF_NEWER,
    dirty_key,
    encode,
    entry_key,
)
from workers.entitlements.compute import Grant, entitlements_json
from workers.entitlements.recompute import recompute_all
from workers.owners import Owner

Recomputed = dict[Owner, tuple[int, dict[str, Grant]]]


@dataclass
class EntitlementRefresher:
    client: redis.Redis

    def __post_init__(self) -> None:
        self._mark = self.client.register_script(MARK_DIRTY)
        self._store = self.client.register_script(STORE_IF_NEWER)

    def recompute(self, tx: Connection, owners: Iterable[Owner]) -> Recomputed:
        """Inside the transaction: a Redis failure here fails the try, so no commit goes
        unmarked (a reader would otherwise keep serving the old entry)."""
        results = recompute_all(tx, owners)
        for owner, (version, _) in results.items():
            self._mark(keys=[dirty_key(*owner), entry_key(*owner)], args=[version, DIRTY_TTL_S])
        return results

    def store(self, results: Recomputed) -> None:
        """After commit. If this fails, the dirty mark sends readers to PostgreSQL."""
        for owner, (version, grants) in results.items():
            self._store(
                keys=[entry_key(*owner), dirty_key(*owner)],
                args=[version, encode(entitlements_json(grants)), ENTRY_TTL_S],
            )
