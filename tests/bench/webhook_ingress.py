"""`make bench`, part 1 and half of part 6: requests/s of POST /api/v1/webhooks/stripe.

Each round runs, one after the other on the same PostgreSQL and Redis: `billing serve
--workers 2`; the bare per-request endpoint (bare_endpoint.py, one INSERT and one LPUSH a
request) and the bare group-commit endpoint (bare_group_endpoint.py), both under `uvicorn
--workers 2`; the trivial server (a fixed 200, the load generator's ceiling); then `billing
serve` with 1 and 4 web processes for the scale curve. The load generator (http_load.py, a
process of its own) posts signed, distinct events over 64 keep-alive connections after a
warm-up; every run starts from an empty `webhook_events` and Redis db. The numbers are for
comparing changes on one machine, not for asserting.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass

import stripe
from sqlalchemy import Engine, text

from tests.bench.environment import BILLING, WEBHOOK_SECRET, flush_redis, prepare_database
from tests.bench.environment import service_env as env
from tests.bench.http_load import LoadResult, run_load
from tests.bench.processes import UVICORN_READY, pool_rss_mb, start
from tests.bench.results import Scale, ScalePoint, Section, Series, Target, number, ratio
from tests.stripe_events import event, payment_intent, to_body
from tests.support.processes import free_port

UVICORN = [sys.executable, "-m", "uvicorn", "--log-level", "info", "--no-access-log"]
HEADROOM = 2.0  # the trivial server must answer at least this many times the fastest server


@dataclass
class Server:
    label: str
    argv: list[str]  # `{port}` is replaced by the port
    processes: int  # uvicorn workers that must say they are ready; 0: the port answering is

    def command(self) -> str:
        shown = " ".join(self.argv).replace(" ".join(BILLING), "billing")
        return shown.replace(sys.executable, "python").replace("{port}", "PORT")


def webhook(workers: int) -> Server:
    argv = [*BILLING, "serve", "--port", "{port}", "--workers", str(workers)]
    return Server(f"billing serve --workers {workers}", argv, workers)


SERVERS = {
    "webhook": webhook(2),
    "bare": Server(
        "bare per-request",
        [*UVICORN, "--workers", "2", "--port", "{port}", "tests.bench.bare_endpoint:app"],
        2,
    ),
    "group": Server(
        "bare group-commit",
        [*UVICORN, "--workers", "2", "--port", "{port}", "tests.bench.bare_group_endpoint:app"],
        2,
    ),
    "trivial": Server(
        "trivial fixed 200",
        [sys.executable, "-m", "tests.bench.trivial_server", "--port", "{port}"],
        0,
    ),
}


def build_requests(count: int) -> list[bytes]:
    """`count` signed payment_intent.succeeded events with distinct ids, signed now (one
    template event, its ids replaced: building 20,000 takes a second)."""
    template = to_body(
        event(
            "payment_intent.succeeded",
            payment_intent("pi_bench_PLACEHOLDER", amount=1000),
            created=1_700_000_000,
            event_id="evt_bench_PLACEHOLDER",
        )
    )
    requests = []
    for _ in range(count):
        body = template.replace("PLACEHOLDER", uuid.uuid4().hex)
        signature = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        raw = body.encode()
        requests.append(
            b"POST /api/v1/webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nStripe-Signature: " + signature.encode() +
            b"\r\nContent-Length: " + str(len(raw)).encode() + b"\r\n\r\n" + raw
        )  # fmt: skip
    return requests


def measure(
    engine: Engine, server: Server, count: int, warmup: int, connections: int
) -> tuple[LoadResult, list[float]]:
    """One run from empty stores; the load's result and the RSS (MB) of each server process
    (the uvicorn workers, not their supervisor) after it."""
    with engine.begin() as tx:
        tx.execute(text("TRUNCATE webhook_events"))
    flush_redis()
    requests = build_requests(warmup + count)
    port = free_port()
    service = start("ingress", [a.replace("{port}", str(port)) for a in server.argv], env())
    try:
        if server.processes:
            service.wait_for_log(UVICORN_READY, server.processes)
        service.wait_for_port(port)
        result = run_load(port, requests, connections, warmup=warmup)
        rss = service.rss_mb()
    finally:
        service.stop()
    if result.errors:
        raise RuntimeError(f"{server.label}: {result.errors} errors, first {result.first_error}")
    pool = pool_rss_mb(rss)
    print(
        f"  {server.label:<26} {result.rate:8,.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
        f"p99 {result.p99_ms:6.2f} ms  RSS/process {' '.join(f'{mb:.0f}' for mb in pool)} MB",
        flush=True,
    )
    return result, pool


def run(
    engine: Engine,
    rounds: int,
    count: int,
    warmup: int,
    connections: int,
    web_processes: tuple[int, ...] = (1, 2, 4),
) -> tuple[Section, Scale]:
    section = Section(
        "Ingress: POST /api/v1/webhooks/stripe",
        f"{count:,} signed, distinct events a run (after {warmup} unrecorded), {connections} "
        "keep-alive connections, closed loop, from a load generator in a process of its own; "
        "`webhook_events` and the Redis db emptied before each run. Rounds alternate the "
        "servers. The trivial server answers a fixed 200 at once: the load generator's own "
        "ceiling with the same requests.",
        commands=[s.command() for s in SERVERS.values()],
    )
    rates, p50s, p99s = {}, {}, {}
    for key, server in SERVERS.items():
        rates[key] = section.add(f"{server.label}: rate", "req/s")
        p50s[key] = section.add(f"{server.label}: p50", "ms")
        p99s[key] = section.add(f"{server.label}: p99", "ms")
    scale = Scale("billing serve: webhook requests/s", "req/s")
    for n in web_processes:
        scale.points.append(ScalePoint(n, rates["webhook"] if n == 2 else Series(f"{n}", "req/s")))
    points = {p.processes: p for p in scale.points}
    for number_ in range(1, rounds + 1):
        print(f"ingress round {number_}/{rounds}", flush=True)
        for key, server in SERVERS.items():
            result, rss = measure(engine, server, count, warmup, connections)
            rates[key].add(result.rate)
            p50s[key].add(result.p50_ms)
            p99s[key].add(result.p99_ms)
            if key == "webhook" and 2 in points:
                points[2].rss_mb.extend(rss)
        for n in web_processes:
            if n != 2:
                result, rss = measure(engine, webhook(n), count, warmup, connections)
                points[n].rate.add(result.rate)
                points[n].rss_mb.extend(rss)
    for n in web_processes:
        if n != 2:
            section.series.append(Series(f"billing serve --workers {n}: rate", "req/s",
                                         points[n].rate.values))  # fmt: skip
    per_request = ratio("webhook / bare per-request", rates["webhook"], rates["bare"])
    section.ratios += [
        per_request,
        ratio("webhook / bare group-commit", rates["webhook"], rates["group"]),
        ratio("bare group-commit / bare per-request", rates["group"], rates["bare"]),
    ]
    fastest = max(max(s.values) for k, s in rates.items() if k != "trivial")
    headroom = rates["trivial"].median / fastest
    section.notes.append(
        f"Load generator: the trivial server took {number(rates['trivial'].median)} req/s, "
        f"{headroom:.1f}× the fastest server's best run ({number(fastest)} req/s): "
        + ("not the bottleneck." if headroom >= HEADROOM else "TOO CLOSE, the client may limit.")
    )
    section.targets.append(
        Target(
            "ingress ≥ 2× the bare per-request endpoint, p99 no worse than its",
            f"{per_request.median:.2f}× (p99 {p99s['webhook'].median:.1f} ms against "
            f"{p99s['bare'].median:.1f} ms)",
            per_request.median >= 2 and p99s["webhook"].median <= p99s["bare"].median,
        )
    )
    section.targets.append(
        Target(
            "validity check: the load generator is not the bottleneck "
            f"(trivial server ≥ {HEADROOM:.0f}× any server)",
            f"{headroom:.1f}×",
            headroom >= HEADROOM,
        )
    )
    return section, scale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    section, _ = run(prepare_database(), args.rounds, args.requests, args.warmup,
                     args.connections)  # fmt: skip
    for series in section.series + section.ratios:
        print(f"{series.label:<40} {series.show()}")
    print("\n".join(section.notes))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
