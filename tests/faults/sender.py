"""Delivering signed events over HTTP the way Stripe does: each try signed afresh, non-2xx
answers and connection errors retried with a short backoff, and given up (lost) after a bound."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests import stripe_events as se
from tests.support.signing import sign

WEBHOOK_PATH = "/api/v1/webhooks/stripe"
Json = dict[str, Any]


@dataclass
class Answer:
    at: float  # time.monotonic()
    event_id: str
    status: int | None  # None: no answer (connection refused, reset, timeout)
    error: str = ""
    took: float = 0.0  # seconds from sending to the answer (or the error)


@dataclass
class DeliveryLog:
    answers: list[Answer] = field(default_factory=list)
    new_acks: Counter[str] = field(default_factory=Counter)  # 200 with "duplicate": false
    dup_acks: Counter[str] = field(default_factory=Counter)
    lost: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    started_at: float = 0.0
    finished_at: float = 0.0

    def record(self, answer: Answer, body: Json | None = None) -> None:
        with self.lock:
            self.answers.append(answer)
            if body is not None and answer.status == 200:
                counter = self.dup_acks if body.get("duplicate") else self.new_acks
                counter[answer.event_id] += 1

    def statuses(self) -> Counter[str]:
        return Counter(str(a.status) if a.status else "no answer" for a in self.answers)

    def five_xx(self, expected: Callable[[Answer], bool] = lambda a: False) -> list[Answer]:
        """5xx answers not explained by `expected` (e.g. a 503 while PostgreSQL is down)."""
        return [a for a in self.answers if a.status and a.status >= 500 and not expected(a)]


class Sender:
    """Posts items of a delivery plan from a pool of threads, each with its own keep-alive
    connection; an item of several copies sends them at the same moment from as many threads."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        log: DeliveryLog,
        give_up_s: float = 60.0,
        threads: int = 12,
    ) -> None:
        self.url = base_url + WEBHOOK_PATH
        self.secret = secret
        self.log = log
        self.give_up_s = give_up_s
        self.threads = threads
        self.local = threading.local()
        self.twins: queue.Queue[httpx.Client] = queue.Queue()

    def _client(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = httpx.Client(timeout=httpx.Timeout(10.0, connect=2.0))
            self.local.client = client
        return client

    def deliver(self, event: Json, client: httpx.Client | None = None) -> bool:
        """One copy until a 2xx, or give up after `give_up_s` (the event is then lost)."""
        client = client or self._client()
        body = se.to_body(event).encode()
        deadline = time.monotonic() + self.give_up_s
        backoff = 0.1
        while True:
            headers = {
                "Stripe-Signature": sign(body, self.secret),
                "Content-Type": "application/json",
            }
            sent = time.monotonic()
            try:
                response = client.post(self.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                now = time.monotonic()
                self.log.record(Answer(now, event["id"], None, type(exc).__name__, now - sent))
            else:
                now = time.monotonic()
                answer = Answer(now, event["id"], response.status_code, took=now - sent)
                parsed = None
                if response.status_code == 200:
                    try:
                        parsed = response.json()
                    except json.JSONDecodeError:
                        answer.error = "200 without JSON"
                elif response.status_code >= 400:
                    answer.error = response.text[:200]
                self.log.record(answer, parsed)
                if 200 <= response.status_code < 300:
                    return True
            if time.monotonic() + backoff > deadline:
                with self.log.lock:
                    self.log.lost.add(event["id"])
                return False
            time.sleep(backoff)
            backoff = min(backoff * 2, 2.0)

    def _borrow(self) -> httpx.Client:
        """A keep-alive client of the twins' pool (connected already, most of the time)."""
        try:
            return self.twins.get_nowait()
        except queue.Empty:
            client = httpx.Client(timeout=httpx.Timeout(10.0, connect=2.0))
            client.get(self.url.replace(WEBHOOK_PATH, "/live"))  # connect first
            return client

    def _deliver_together(self, copies: list[Json]) -> None:
        barrier = threading.Barrier(len(copies))
        clients = [self._borrow() for _ in copies]

        def one(event: Json, client: httpx.Client) -> None:
            barrier.wait()
            self.deliver(event, client)
            self.twins.put(client)

        workers = [
            threading.Thread(target=one, args=pair) for pair in zip(copies, clients, strict=True)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def send_all(self, items: list[list[Json]], spread_s: float = 0.0) -> None:
        """Every item, released evenly over `spread_s` seconds (0: as fast as possible)."""
        self.log.started_at = time.monotonic()
        step = spread_s / max(len(items), 1)

        def run(index: int, item: list[Json]) -> None:
            release = self.log.started_at + index * step
            if (wait := release - time.monotonic()) > 0:
                time.sleep(wait)
            if len(item) == 1:
                self.deliver(item[0])
            else:
                self._deliver_together(item)

        with ThreadPoolExecutor(self.threads, thread_name_prefix="sender") as pool:
            for future in [pool.submit(run, n, item) for n, item in enumerate(items)]:
                future.result()
        self.log.finished_at = time.monotonic()
