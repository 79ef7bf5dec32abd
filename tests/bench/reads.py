"""`make bench`, part 4: the read API of `billing serve --workers 2` on a full database.

Set-up, once: the seeded account (seed.py: 100,000 subscriptions and 100,000 purchases by
default), the realistic world of --users users applied by `billing worker` (so their
entitlements are computed and cached as after real events), VACUUM ANALYZE (autovacuum would
have run on a table of inserted rows; index-only scans need its visibility map), and an app key
of the project. Each round starts the server and
  - GETs the entitlements of random world users open loop at --rate requests/s for --seconds
    (latency from when each request was due, over 64 keep-alive connections), then
  - calls each metrics endpoint --calls times on one connection, one after the other;
then runs the same open loop against the trivial server (a fixed 200): the latency floor of the
load generator itself on this machine.
Numbers are for comparing changes on one machine, not for asserting.
"""

from __future__ import annotations

import argparse
import random
import sys

from sqlalchemy import Engine, text

from shared import tenants
from tests.bench.apply_events import store_backlog, worker_run
from tests.bench.environment import BILLING, PROJECT, prepare_database, service_env
from tests.bench.http_load import LoadResult, run_load
from tests.bench.processes import UVICORN_READY, start
from tests.bench.results import Section, Target, number
from tests.bench.seed import MOVEMENTS_WINDOW
from tests.faults.world import build_world
from tests.support.processes import free_port

ENTITLEMENTS_P99_MS = 5.0
METRICS_MS = 20.0
CONNECTIONS = 64
TRIVIAL = [sys.executable, "-m", "tests.bench.trivial_server"]
METRICS = {
    "/subscriptions": "subscriptions",
    "/revenue": "revenue",
    "/mrr": "mrr",
    "/movements": f"movements?from={MOVEMENTS_WINDOW[0]}&to={MOVEMENTS_WINDOW[1]}",
}


def get(path: str, key: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\n\r\n").encode()  # fmt: skip


def prepare(engine: Engine, users: int, seeded: tuple[int, int]) -> tuple[list[str], str]:
    """The stores as the module's docstring says; the world's users and the app key."""
    world = build_world(users, seed=20251201)
    ids = store_backlog(engine, world, seeded)
    worker_run(engine, ids, service_env())
    with engine.begin() as tx:
        _, key = tenants.create_app(tx, PROJECT, "bench")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would: index-only scans need it
    return world.users, key


def run(
    engine: Engine,
    rounds: int,
    users: int,
    seeded: tuple[int, int],
    rate: float = 1000,
    seconds: float = 15,
    calls: int = 20,
) -> Section:
    section = Section(
        "Reads: entitlements and metrics over HTTP",
        f"`billing serve --workers 2` on {seeded[0]:,} seeded subscriptions and {seeded[1]:,} "
        f"purchases plus the world of {users:,} users applied by `billing worker`, then VACUUM "
        "ANALYZE (as autovacuum leaves a table of inserted rows). "
        f"Entitlements: GETs of random world users, open loop at {rate:,.0f} requests/s for "
        f"{seconds:.0f} s over {CONNECTIONS} connections, latency from when each request was "
        f"due. Metrics: {calls} calls of each endpoint on one connection after 2 unrecorded.",
        commands=["billing serve --workers 2"],
    )
    print("reads: seeding and applying the world", flush=True)
    world_users, key = prepare(engine, users, seeded)
    rng = random.Random(7)
    entitlements = [
        get(f"/api/v1/entitlements/project/{PROJECT}/user/{rng.choice(world_users)}", key)
        for _ in range(int(rate * seconds) + 200)
    ]
    ent_rate = section.add("entitlements: achieved rate", "req/s")
    ent_p50 = section.add("entitlements: p50", "ms")
    ent_p99 = section.add("entitlements: p99", "ms")
    floor_p50 = section.add("same open loop, trivial server: p50", "ms")
    floor_p99 = section.add("same open loop, trivial server: p99", "ms")
    metric = {name: (section.add(f"{name}: median", "ms"), section.add(f"{name}: p99", "ms"))
              for name in METRICS}  # fmt: skip
    for number_ in range(1, rounds + 1):
        port = free_port()
        service = start("serve", [*BILLING, "serve", "--port", str(port), "--workers", "2"],
                        service_env())  # fmt: skip
        try:
            service.wait_for_log(UVICORN_READY, 2)
            result = run_load(port, entitlements, CONNECTIONS, warmup=200, rate=rate)
            _check(result.errors, result.first_error, "entitlements")
            ent_rate.add(result.rate)
            ent_p50.add(result.p50_ms)
            ent_p99.add(result.p99_ms)
            line = [f"entitlements {result.rate:,.0f} req/s p50 {result.p50_ms:.2f} ms "
                    f"p99 {result.p99_ms:.2f} ms"]  # fmt: skip
            for name, path in METRICS.items():
                request = get(f"/api/v1/metrics/project/{PROJECT}/{path}", key)
                result = run_load(port, [request] * (calls + 2), 1, warmup=2)
                _check(result.errors, result.first_error, name)
                metric[name][0].add(result.p50_ms)
                metric[name][1].add(result.p99_ms)
                line.append(f"{name} {result.p50_ms:.1f}/{result.p99_ms:.1f} ms")
        finally:
            service.stop()
        floor = _floor(entitlements, rate)
        floor_p50.add(floor.p50_ms)
        floor_p99.add(floor.p99_ms)
        line.append(f"trivial server p50 {floor.p50_ms:.2f} p99 {floor.p99_ms:.2f} ms")
        print(f"  reads round {number_}/{rounds}: " + ", ".join(line), flush=True)
    section.targets.append(Target(
        f"entitlements p99 < {ENTITLEMENTS_P99_MS:.0f} ms at {rate:,.0f} requests/s",
        f"p99 {number(ent_p99.median)} ms (p50 {number(ent_p50.median)} ms; the load "
        f"generator's own floor: p99 {number(floor_p99.median)} ms)",
        ent_p99.median < ENTITLEMENTS_P99_MS,
    ))  # fmt: skip
    for name, (mid, p99) in metric.items():
        section.targets.append(Target(
            f"GET …{name} < {METRICS_MS:.0f} ms (judged on p99)",
            f"p99 {number(p99.median)} ms, median {number(mid.median)} ms",
            p99.median < METRICS_MS,
        ))  # fmt: skip
    return section


def _floor(requests: list[bytes], rate: float) -> LoadResult:
    port = free_port()
    trivial = start("trivial", [*TRIVIAL, "--port", str(port)], service_env())
    try:
        trivial.wait_for_port(port)
        return run_load(port, requests, CONNECTIONS, warmup=200, rate=rate)
    finally:
        trivial.stop()


def _check(errors: int, first: str, what: str) -> None:
    if errors:
        raise RuntimeError(f"{what}: {errors} answers were not 200, first {first}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1500)
    parser.add_argument("--seeded", type=int, default=100_000, help="subscriptions and purchases")
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    section = run(prepare_database(), args.rounds, args.users, (args.seeded, args.seeded),
                  args.rate, args.seconds, args.calls)  # fmt: skip
    for series in section.series:
        print(f"{series.label:<34} {series.show()}")
    for target in section.targets:
        print(target.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
