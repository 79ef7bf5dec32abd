"""How a worker process asks for Stripe look-ups. Each is asked once per process, not once per
event (while a customer stays unlinked every event of it asks, and a backlog holds many events per
customer); the asks are gathered for a moment and sent together, less those that another event
made needless meanwhile (in a backlog, most customers that an event finds unlinked are linked by
another of their events moments later: their subscription names the owner).

A look-up's result is dated by the event that asked and the earliest date wins
(shared/state/ownership.py), so while a customer is unlinked an ask for an earlier event still
goes out. Once it is linked, an ask is dropped, here as by the look-up itself (`is_linked`): a
look-up never re-dates a link an event wrote."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

import structlog
from sqlalchemy import Engine

from shared.queue import ENRICH_CUSTOMER_ACTOR
from shared.state.ownership import linked_customers

log = structlog.get_logger("workers.enrichment_offers")

ASK_AGAIN_AFTER_S = 600.0  # a look-up whose retries all failed is asked again by a later event
MAX_REMEMBERED = 50_000  # the oldest asks are forgotten first
GATHER_S = 1.0  # how long asks wait to be sent together: a look-up takes longer than that anyway

Args = tuple[object, ...]  # an ask: the look-up's key, then the asking event's `created`


class OfferOnce:
    """Wraps an offer `(*key, created) -> None`: passes on the first ask for a key, and a later
    ask only when its `created` is earlier than any passed on or the last one is old."""

    def __init__(
        self,
        offer: Callable[..., object],
        clock: Callable[[], float] = time.monotonic,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self._offer = offer
        self._clock = clock
        self._max = max_remembered
        self._asked: OrderedDict[Hashable, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, *args: object) -> None:
        *key, created = args
        assert isinstance(created, int)
        if self._should_offer(tuple(key), created):
            self._offer(*args)

    def _should_offer(self, key: Hashable, created: int) -> bool:
        now = self._clock()
        with self._lock:
            asked = self._asked.get(key)
            if asked is not None and asked[0] <= created and now - asked[1] < ASK_AGAIN_AFTER_S:
                return False
            earliest = created if asked is None else min(created, asked[0])
            self._asked[key] = (earliest, now)
            self._asked.move_to_end(key)
            while len(self._asked) > self._max:
                self._asked.popitem(last=False)
            return True


class GatheredOffers:
    """Asks `(actor, *key, created)` held for `gather_s` by a thread of their own (never a Redis
    round trip inside an event's transaction), then passed through `keep(actor, asks)` and sent
    by `send(actor, *args)`; asks for one key merge into the earliest `created`. When the
    process's main thread ends, the thread sends what is left unchecked (the look-up checks
    again) and stops. `threaded=False` starts no thread: the caller flushes."""

    def __init__(
        self,
        send: Callable[..., object],
        keep: Callable[[str, list[Args]], list[Args]],
        gather_s: float = GATHER_S,
        threaded: bool = True,
    ) -> None:
        self._send = send
        self._keep = keep
        self._gather_s = gather_s
        self._threaded = threaded
        self._pending: dict[tuple[str, Args], int] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None  # started by the first ask, after any fork
        self._pid = os.getpid()

    def offer(self, actor: str, *args: object) -> None:
        *key, created = args
        assert isinstance(created, int)
        if os.getpid() != self._pid:
            self._start_over_in_child()
        with self._lock:
            earlier = self._pending.get((actor, tuple(key)))
            self._pending[(actor, tuple(key))] = (
                created if earlier is None else min(earlier, created)
            )
            if self._threaded and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="enrichment-offers")
                self._thread.start()

    def _start_over_in_child(self) -> None:
        """A forked child has neither the parent's thread nor a lock it may have held; the
        parent's asks are the parent's to send."""
        self._pid, self._lock, self._pending, self._thread = os.getpid(), threading.Lock(), {}, None

    def _run(self) -> None:
        main = threading.main_thread()
        while main.is_alive():
            main.join(self._gather_s)
            self.flush(check=main.is_alive())

    def flush(self, check: bool = True) -> None:
        """Send what is gathered; `check=False` skips `keep` (at exit: no database wait)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        by_actor: dict[str, list[Args]] = {}
        for (actor, key), created in pending.items():
            by_actor.setdefault(actor, []).append((*key, created))
        for actor, asks in by_actor.items():
            kept = self._kept(actor, asks) if check else asks
            for args in kept:
                try:
                    self._send(actor, *args)
                except Exception as exc:  # that look-up waits for its customer's next event
                    _log_quietly("enrichment.offer_failed", actor=actor, error=str(exc))

    def _kept(self, actor: str, asks: list[Args]) -> list[Args]:
        try:
            return self._keep(actor, asks)
        except Exception as exc:  # the look-up checks again before it calls Stripe
            _log_quietly("enrichment.offers_unchecked", actor=actor, error=str(exc))
            return asks


def _log_quietly(event: str, **fields: object) -> None:
    """At exit the log's stream may be closed already: a lost line must not lose the asks."""
    with contextlib.suppress(Exception):
        log.warning(event, **fields)


def still_needed(engine: Engine, actor: str, asks: list[Args]) -> list[Args]:
    """A customer's owner needs no look-up once it is linked: the look-up would find the link
    and stop there too (shared/state/ownership.py `is_linked`)."""
    if actor != ENRICH_CUSTOMER_ACTOR:
        return asks
    with engine.connect() as conn:
        linked = linked_customers(conn, [str(args[0]) for args in asks])
    return [args for args in asks if str(args[0]) not in linked]
