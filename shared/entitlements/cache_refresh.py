"""The workers' side of the entitlement cache: mark users dirty inside the transaction, store
their new entries after the commit (shared/cache.py says why this order)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from shared.cache import DIRTY_TTL_S, MARK_DIRTY, STORE_IF_NEWER, dirty_key, entry_key, fill_args
from shared.entitlements.compute import entitlements_json
from shared.entitlements.recompute import Recomputed


@dataclass
class EntitlementCache:
    client: redis.Redis

    def __post_init__(self) -> None:
        self._mark = self.client.register_script(MARK_DIRTY)
        self._store = self.client.register_script(STORE_IF_NEWER)

    def mark_dirty(self, results: Recomputed) -> None:
        """Before commit: a Redis failure here fails the transaction, so no commit goes
        unmarked (a reader would otherwise keep serving the old entry)."""
        pipe = self.client.pipeline(transaction=False)
        for owner, result in results.items():
            keys = [dirty_key(*owner), entry_key(*owner)]
            self._mark(keys=keys, args=[result.version, DIRTY_TTL_S], client=pipe)
        pipe.execute()

    def store(self, results: Recomputed) -> None:
        """After commit. If this fails, the dirty mark sends readers to PostgreSQL."""
        pipe = self.client.pipeline(transaction=False)
        for owner, result in results.items():
            keys, args = fill_args(owner, result.version, entitlements_json(result.grants))
            self._store(keys=keys, args=args, client=pipe)
        pipe.execute()
