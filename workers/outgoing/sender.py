"""One try of one delivery: claim it (a lease, so a killed worker's delivery is due again),
sign it as Standard Webhooks, POST it without following redirects, read at most a little of the
answer, record the attempt and schedule the next one (CONTRACT section 9).

At most MAX_IN_FLIGHT_PER_ENDPOINT sends run at once per endpoint (a Redis-held Dramatiq
ConcurrentRateLimiter): a receiver that hangs ties up that many worker threads, not all of them;
its other deliveries stay due and the relay offers them again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from dramatiq.rate_limits import ConcurrentRateLimiter
from dramatiq.rate_limits.backends import RedisBackend
from sqlalchemy import Engine
from standardwebhooks.webhooks import Webhook

from shared.outgoing import outbox
from shared.statuses import DeliveryStatus
from workers.prometheus.worker_metrics import count_delivery_try

log = structlog.get_logger("workers.outgoing")
MAX_IN_FLIGHT_PER_ENDPOINT = 2
MAX_RESPONSE_BYTES = 4096
LEASE_MARGIN_S = 30.0


@dataclass
class Sender:
    engine: Engine
    http: httpx.Client
    limits: RedisBackend
    retry_delays_s: tuple[int, ...]
    timeout_s: float

    def send(self, delivery_id: str) -> DeliveryStatus | None:
        """None when the delivery is not due (sent, leased, or waiting for its schedule)."""
        with self.engine.begin() as tx:
            row = outbox.claim(tx, delivery_id, lease_s=self.timeout_s + LEASE_MARGIN_S)
        if row is None:
            return None
        mutex = ConcurrentRateLimiter(  # type: ignore[no-untyped-call]
            self.limits,
            f"endpoint:{row.endpoint_id}",
            limit=MAX_IN_FLIGHT_PER_ENDPOINT,
            ttl=int((self.timeout_s + LEASE_MARGIN_S) * 1000),
        )
        with mutex.acquire(raise_on_failure=False) as acquired:
            if not acquired:  # busy endpoint: due again once the lease ends
                return None
            return self._try(row)

    def _try(self, row: Any) -> DeliveryStatus:
        started = time.monotonic()
        status_code, error = (None, "endpoint removed") if row.removed_at else self._post(row)
        duration_ms = int((time.monotonic() - started) * 1000)
        delivered = status_code is not None and 200 <= status_code < 300
        retry_in_s = (
            None if delivered else outbox.retry_delay_s(row.attempts + 1, self.retry_delays_s)
        )
        if delivered:
            status = DeliveryStatus.DELIVERED
        elif retry_in_s is None or row.removed_at:
            status, retry_in_s = DeliveryStatus.FAILED, None
        else:
            status = DeliveryStatus.PENDING
        with self.engine.begin() as tx:
            outbox.settle(tx, row.id, status, status_code, duration_ms, error, retry_in_s)
        count_delivery_try(status)
        log.info(
            "outgoing.attempt",
            delivery_id=row.id,
            message_id=row.message_id,
            endpoint_id=row.endpoint_id,
            status=status.value,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            retry_in_s=retry_in_s,
        )
        return status

    def _post(self, row: Any) -> tuple[int | None, str | None]:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "billing-webhooks/1",
            "webhook-id": row.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(row.secret).sign(row.message_id, now, row.body),
        }
        try:
            with self.http.stream("POST", row.url, content=row.body, headers=headers) as answer:
                body = _read_capped(answer)
        except httpx.TimeoutException:
            return None, f"no answer within {self.timeout_s:.0f} s"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= answer.status_code < 300:
            return answer.status_code, None
        return answer.status_code, f"HTTP {answer.status_code}: {body[:200]!r}"


def _read_capped(answer: httpx.Response) -> bytes:
    """A receiver's answer matters only for its status: read a little, never all of it."""
    read = b""
    for chunk in answer.iter_bytes():
        read += chunk
        if len(read) >= MAX_RESPONSE_BYTES:
            break
    return read[:MAX_RESPONSE_BYTES]


def http_client(timeout_s: float) -> httpx.Client:
    """No redirects followed: a 3xx is an answer, and a failed try."""
    return httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False)
