"""Each Stripe look-up asked once per worker process, not once per event: while a customer stays
unlinked every event of it would ask again (a Redis round trip inside the event's transaction),
and a backlog holds many events per customer. A look-up's result is dated by the event that
asked and the earliest date wins (shared/state/ownership.py), so an ask for an earlier event
still goes out: the outcome is the one every ask would give, in any order."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

ASK_AGAIN_AFTER_S = 600.0  # a look-up whose retries all failed is asked again by a later event
MAX_REMEMBERED = 50_000  # the oldest asks are forgotten first


class OfferOnce:
    """Wraps an offer `(*key, created) -> None`: passes on the first ask for a key, and a later
    ask only when its `created` is earlier than any passed on or the last one is old."""

    def __init__(
        self,
        offer: Callable[..., object],
        clock: Callable[[], float] = time.monotonic,
        max_remembered: int = MAX_REMEMBERED,
    ) -> None:
        self._offer = offer  # its result (a Future when sent by a thread) is not waited for
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
