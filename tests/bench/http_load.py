"""The HTTP load generator of `make bench`, run as a process of its own so that it never shares
an event loop, a GIL or a core's time slice with the server it measures.

It sends raw HTTP/1.1 requests prepared by the caller (a pickled list of bytes: signed webhooks,
authorised GETs) over keep-alive connections opened before the clock starts, on uvloop with
asyncio protocols (no stream objects), and prints one JSON object: requests, seconds, rate, the
latency percentiles, non-200 answers. Two ways to load:

- closed loop (default): each of --connections connections sends its next request as soon as
  the previous answer is in; the rate is what the server sustains.
- open loop (--rate R): request i is due at i/R seconds whatever the answers, sent on a free
  connection (up to --connections); its latency runs from when it was due (or from when the
  client got to it, if the client itself was late), so a stall of the server shows in the
  tail, waiting for a free connection included, instead of slowing the load down.

`--warmup N` sends the first N requests (closed loop) before the timed ones, unrecorded.
`run_load` is the caller's side: it writes the requests, runs this module and reads its answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from tests.bench.results import percentile


@dataclass
class LoadResult:
    requests: int
    elapsed_s: float
    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    first_error: str


def run_load(
    port: int,
    requests: list[bytes],
    connections: int,
    warmup: int = 0,
    rate: float | None = None,
) -> LoadResult:
    """Drive the server on `port` from a separate process (see the module's docstring)."""
    with tempfile.NamedTemporaryFile(suffix=".pickle") as file:
        pickle.dump(requests, file)
        file.flush()
        argv = [sys.executable, "-m", "tests.bench.http_load", "--port", str(port),
                "--requests", file.name, "--connections", str(connections),
                "--warmup", str(warmup)]  # fmt: skip
        if rate is not None:
            argv += ["--rate", str(rate)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-3000:]}")
    return LoadResult(**json.loads(done.stdout.strip().splitlines()[-1]))


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"content-length:")
        if start < 0:
            self.waiter.set_exception(RuntimeError(f"no content-length: {head[:200]!r}"))
            return
        length = int(head[start + 15 :].split(b"\r\n", 1)[0])
        total = end + 4 + length
        if len(self.buffer) >= total:
            del self.buffer[:total]
            self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error = ""

    def record(self, started: float, status: int) -> None:
        self.latencies.append(time.perf_counter() - started)
        if status != 200:
            self.errors += 1
            self.first_error = self.first_error or f"HTTP {status}"


async def closed_loop(connections: list[Connection], requests: list[bytes], tally: Tally) -> None:
    queue: Iterator[bytes] = iter(requests)

    async def drive(conn: Connection) -> None:
        for request in queue:  # shared: whichever connection is free takes the next one
            started = time.perf_counter()
            tally.record(started, await conn.send(request))

    await asyncio.gather(*(drive(conn) for conn in connections))


async def open_loop(
    connections: list[Connection], requests: list[bytes], rate: float, tally: Tally
) -> None:
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in connections:
        free.put_nowait(conn)

    async def one(request: bytes, due: float) -> None:
        # From when it was due, or from when this client got round to it if its own timer or
        # loop was late (not the server's doing); waiting for a free connection counts.
        started = max(due, time.perf_counter())
        conn = await free.get()
        try:
            status = await conn.send(request)
        finally:
            free.put_nowait(conn)
        tally.record(started, status)

    tasks = []
    start = time.perf_counter() + 0.01
    for i, request in enumerate(requests):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(request, due)))
    await asyncio.gather(*tasks)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with open(args.requests, "rb") as file:
        requests: list[bytes] = pickle.load(file)
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(args.connections):
        _, conn = await loop.create_connection(Connection, "127.0.0.1", args.port)
        connections.append(conn)
    warmup, timed = requests[: args.warmup], requests[args.warmup :]
    if warmup:
        await closed_loop(connections, warmup, Tally())
    tally = Tally()
    started = time.perf_counter()
    if args.rate:
        await open_loop(connections, timed, args.rate, tally)
    else:
        await closed_loop(connections, timed, tally)
    elapsed = time.perf_counter() - started
    for conn in connections:
        assert conn.transport is not None
        conn.transport.close()
    ms = [s * 1000 for s in tally.latencies]
    return {
        "requests": len(timed),
        "elapsed_s": elapsed,
        "rate": len(timed) / elapsed,
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
        "errors": tally.errors,
        "first_error": tally.first_error,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", required=True, help="a pickled list of raw requests")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--rate", type=float, help="open loop at this many requests a second")
    args = parser.parse_args()
    try:
        import uvloop

        result = uvloop.run(main_async(args))
    except ImportError:
        result = asyncio.run(main_async(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
