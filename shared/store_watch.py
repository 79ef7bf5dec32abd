"""Whether PostgreSQL and Redis answer, logged once per change of state.

An outage is one `store_unavailable store=redis` line when it starts and one `store_available`
when it ends, however many calls fail in between (the callers keep quiet about store errors)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import dramatiq.errors
import psycopg
import redis
import sqlalchemy.exc
import structlog
from sqlalchemy import Engine, text

log = structlog.get_logger("shared.store_watch")

POSTGRESQL = "postgresql"
REDIS = "redis"


def store_of_error(exc: BaseException) -> str | None:
    """The store an exception says is unreachable, or None for any other failure."""
    redis_errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    if isinstance(exc, redis_errors + (dramatiq.errors.BrokerConnectionError,)):
        return REDIS  # the broker's own ConnectionError: its only store is Redis
    if isinstance(exc, sqlalchemy.exc.OperationalError | psycopg.OperationalError):
        return POSTGRESQL
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return POSTGRESQL
    return None


def first_line(exc: BaseException) -> str:
    text_ = str(exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


@dataclass
class StoreWatch:
    """The last known state of each store; `report` logs only a change (thread-safe)."""

    clock: Callable[[], float] = time.monotonic
    _available: dict[str, bool] = field(default_factory=dict)
    _since: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, store: str, available: bool, error: str | None = None) -> None:
        with self._lock:
            previous = self._available.get(store)
            if previous == available:
                return
            now = self.clock()
            was_for_s = round(now - self._since[store], 1) if store in self._since else None
            self._available[store], self._since[store] = available, now
        if available:
            log.info("store_available", store=store, down_for_s=was_for_s)
        else:
            log.warning("store_unavailable", store=store, error=error)

    def report_error(self, exc: BaseException) -> bool:
        """Report the store an exception names as down; False when it names none."""
        store = store_of_error(exc)
        if store is not None:
            self.report(store, False, first_line(exc))
        return store is not None

    def is_available(self, store: str) -> bool | None:
        with self._lock:
            return self._available.get(store)


def check_postgresql(engine: Engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    return check


def check_redis(client: redis.Redis) -> Callable[[], None]:
    def check() -> None:
        client.ping()

    return check


@dataclass
class StoreProbe:
    """Asks each store in turn and reports the answers; `start` does so every `every_s` in a
    daemon thread until `stop`."""

    watch: StoreWatch
    checks: Mapping[str, Callable[[], None]]
    every_s: float = 2.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run_once(self) -> None:
        for store, check in self.checks.items():
            try:
                check()
            except Exception as exc:
                self.watch.report(store, False, first_line(exc))
            else:
                self.watch.report(store, True)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="store-probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()
