"""`make bench`: requests/s of POST /api/v1/webhooks/stripe against the bare yardstick.

Both servers run under uvicorn (one process) against the same PostgreSQL and Redis; a small
asyncio HTTP/1.1 client with keep-alive connections posts signed, distinct events. The numbers
are for comparing changes on one machine, not for asserting in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from statistics import quantiles

import psycopg
import redis
import stripe

from tests.stripe_events import event, payment_intent, to_body

SECRET = "whsec_bench"
DATABASE = "postgresql://postgres@localhost:5432/billing_bench"
REDIS = "redis://localhost:6379/14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_requests(count: int, port: int) -> list[bytes]:
    requests = []
    for i in range(count):
        evt = event(
            "payment_intent.succeeded",
            payment_intent(f"pi_bench_{i}", amount=1000),
            created=1_700_000_000 + i,
            event_id=f"evt_bench_{uuid.uuid4().hex}",
        )
        body = to_body(evt)
        sig = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        raw = body.encode()
        requests.append(
            f"POST /api/v1/webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nStripe-Signature: {sig}\r\n"
            f"Content-Length: {len(raw)}\r\n\r\n".encode()
            + raw
        )
    return requests


async def drive(port: int, requests: list[bytes], connections: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in queue:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode())
            latencies.append(time.perf_counter() - started)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.perf_counter() - started, latencies


def serve(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{argv} did not start")


def measure(
    name: str, argv: list[str], env: dict[str, str], port: int, count: int, conns: int
) -> float:
    with psycopg.connect(DATABASE, autocommit=True) as conn:
        conn.execute("TRUNCATE webhook_events")
    redis.Redis.from_url(REDIS).flushdb()  # no backlog from an earlier run
    proc = serve(argv, env, port)
    try:
        asyncio.run(drive(port, build_requests(50, port), conns))  # warm-up
        elapsed, latencies = asyncio.run(drive(port, build_requests(count, port), conns))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    rate = count / elapsed
    p50, p99 = (quantiles(latencies, n=100)[i] * 1000 for i in (49, 98))
    print(
        f"{name:<10} {rate:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
        f"({count} requests, {conns} connections)"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    env = dict(
        os.environ,
        DATABASE_URL=DATABASE,
        REDIS_URL=REDIS,
        STRIPE_WEBHOOK_SECRET=SECRET,
        BENCH_DATABASE_URL=DATABASE,
        BENCH_REDIS_URL=REDIS,
        LOG_FORMAT="json",
    )
    for step in (["createdb"], ["migrate"]):
        subprocess.run(
            [sys.executable, "-m", "cli.main", *step],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    port = free_port()
    bare = measure(
        "bare",
        [*uvicorn, "tests.bench.bare_endpoint:app", "--port", str(port)],
        env,
        port,
        args.requests,
        args.connections,
    )
    port = free_port()
    ours = measure(
        "webhook",
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        env,
        port,
        args.requests,
        args.connections,
    )
    print(f"webhook / bare: {ours / bare:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
