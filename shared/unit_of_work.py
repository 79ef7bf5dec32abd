"""The one place that commits a change of billing state.

Apply the change → recompute the touched users' entitlements in the same transaction (marking
their cache entries dirty before the commit, and writing an outgoing message for every user
whose entitlements changed) → commit → store the new cache entries and hand the new deliveries
to the workers. The inbox, reconciliation, imports, customer links and product mappings all
write through it, so every writer gets the same guarantees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from sqlalchemy import Connection, Engine

from shared.entitlements.cache_refresh import EntitlementCache
from shared.entitlements.recompute import Recomputed, recompute_all
from shared.outgoing.outbox import write_entitlement_changes
from shared.records import Owner

log = structlog.get_logger("shared.unit_of_work")


@dataclass
class Work:
    """One transaction's change: `tx` to write with, `touch` for every user it may affect."""

    tx: Connection
    cache: EntitlementCache
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    touched: set[Owner] = field(default_factory=set)
    recomputed: Recomputed = field(default_factory=dict)
    deliveries: list[str] = field(default_factory=list)
    _pending: set[Owner] = field(default_factory=set)

    def touch(self, owners: Iterable[Owner]) -> None:
        owners = set(owners)
        self.touched |= owners
        self._pending |= owners

    def flush(self) -> None:
        """Recompute the users touched so far now, taking their locks and marking their cache
        entries dirty; the unit does this itself before it commits."""
        if self._pending:
            results = recompute_all(self.tx, self._pending, self.clock())
            self.cache.mark_dirty(results)
            self.deliveries += write_entitlement_changes(self.tx, results)
            self.recomputed.update(results)
            self._pending.clear()


@dataclass
class UnitOfWork:
    engine: Engine
    cache: EntitlementCache
    # Told the new deliveries' ids after the commit (a worker sends them); a failure is logged,
    # and the scheduler's relay finds them due anyway.
    send_deliveries: Callable[[list[str]], None] | None = None
    # What "now" is to a grace period; tests drive it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @contextmanager
    def begin(self) -> Iterator[Work]:
        """Commits when the block ends normally, rolls back (and re-raises) when it raises."""
        with self.engine.begin() as tx:
            work = Work(tx, self.cache, self.clock)
            yield work
            work.flush()
        if work.recomputed:
            try:
                self.cache.store(work.recomputed)
            except Exception as exc:  # committed; the dirty marks send readers to PostgreSQL
                log.warning("entitlements.cache_refresh_failed", error=str(exc))
        if work.deliveries and self.send_deliveries is not None:
            try:
                self.send_deliveries(work.deliveries)
            except Exception as exc:  # committed and due: the delivery relay sends them
                log.warning(
                    "outgoing.enqueue_failed", deliveries=len(work.deliveries), error=str(exc)
                )
