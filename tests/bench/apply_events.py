"""`make bench`, part 2: how fast `billing worker` applies a stored backlog, beside a bare apply
loop measured in the same sitting (apply_rounds.py runs the other apply parts on the same
machinery).

The backlog: the fault suite's realistic world (subscriptions that renew, fail and recover,
purchases, refunds, invoices) for --users users, every event stored once, then ANALYZE. A
worker run enqueues the ids while no worker runs, IDS_PER_MESSAGE a message as the ingress's
enqueue thread sends a group commit's new ids under load, then starts `billing worker
--processes 2 --enrichment-threads 0` and times until every event is terminal: the rate from
the worker's start (process start-up included) and the rate on the database's clock, from the
first `processed_at` to the last (a batch stamps its events with its transaction's start, so
the last batch's own time is left out). The bare loop is the floor of any worker: two
processes, each taking events one by one, one upsert of the payload into a scratch table and
the event stamped, one commit each, no rules. Numbers are for comparing changes on one
machine, not for asserting.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

from shared import tenants
from shared.db import webhook_events
from shared.queue import create_broker, enqueue_events
from shared.settings import load_settings
from tests.bench.environment import (
    BILLING,
    DATABASE,
    PROJECT,
    flush_redis,
    prepare_database,
    service_env,
)
from tests.bench.processes import Service, pool_rss_mb, start
from tests.bench.results import Series, number, ratio
from tests.bench.seed import seed
from tests.faults.world import World, build_world
from tests.support.stores import truncate_all_tables

BARE_TABLE = """CREATE TABLE IF NOT EXISTS bench_bare_apply
                (id text PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL)"""
TERMINAL_TIMEOUT_S = 900

# A group commit's worth of new ids, as the ingress's enqueue thread sends them under load (it sends
# every id waiting at once; at 64 connections a commit holds some tens of requests).
IDS_PER_MESSAGE = 16


@dataclass
class Run:
    """One apply of a backlog."""

    events: int
    from_start: float  # events/s from the worker's start (the bare loop's) to the last terminal
    db_clock: float  # events/s from the first processed_at to the last
    first_s: float  # from the start to the first processed_at: the worker's start-up
    rss_mb: list[float] = field(default_factory=list)  # each pool process, after the run
    failed: int = 0
    said: str = ""  # what the worker's log counted

    def line(self) -> str:
        rss = " ".join(f"{mb:.0f}" for mb in self.rss_mb)
        return (
            f"{self.events} events: {number(self.from_start)}/s from start, "
            f"{number(self.db_clock)}/s first→last, first after {self.first_s:.1f} s"
            + (f"  RSS/process {rss} MB" if rss else "")
            + self.said
        )


def store_backlog(engine: Engine, world: World, seeded: tuple[int, int] | None = None) -> list[str]:
    """Empty stores, the project, the seeded account (subscriptions, purchases) if asked, every
    event of `world` stored once, then ANALYZE; the ids in the world's order."""
    truncate_all_tables(engine)
    flush_redis()
    with engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
    if seeded:
        seed(engine, *seeded)
    with engine.begin() as tx:
        for event in world.events:
            webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return [str(event["id"]) for event in world.events]


def worker_run(
    engine: Engine,
    ids: list[str],
    env: dict[str, str],
    processes: int = 2,
    enrichment_threads: int | None = 0,
    profile: str | None = None,
) -> Run:
    """Enqueue every id with no worker running, start `billing worker` and time until every
    event is terminal. `enrichment_threads=None` leaves the flag out (the default pool).
    With `profile`, py-spy samples every worker process meanwhile and writes raw stacks there."""
    broker = create_broker(load_settings(env))
    for start_at in range(0, len(ids), IDS_PER_MESSAGE):
        enqueue_events(broker, ids[start_at : start_at + IDS_PER_MESSAGE])
    argv = [*BILLING, "worker", "--processes", str(processes)]
    if enrichment_threads is not None:
        argv += ["--enrichment-threads", str(enrichment_threads)]
    started, started_at = time.perf_counter(), time.time()
    service = start("worker", argv, env)
    spy = _start_py_spy(service.proc.pid, profile) if profile else None
    try:
        elapsed = _until_terminal(engine, len(ids), started, service)
        rss = pool_rss_mb(service.rss_mb())
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        said = service.output()
    finally:
        service.stop()
    failed, db_clock, first_at = _db_clock(engine)
    splits, busy = said.count("events.batch_split"), said.count("event.busy")
    return Run(
        len(ids), len(ids) / elapsed, db_clock, first_at - started_at, rss, failed,
        f"  (batches split {splits}, busy {busy})" if splits or busy else "",
    )  # fmt: skip


def _until_terminal(engine: Engine, count: int, started: float, service: Service) -> float:
    while time.perf_counter() - started < TERMINAL_TIMEOUT_S:
        with engine.connect() as conn:
            done = conn.execute(
                text("SELECT count(*) FROM webhook_events WHERE status <> 'received'")
            ).scalar_one()
        if done >= count:
            return time.perf_counter() - started
        if service.proc.poll() is not None:
            raise RuntimeError(
                f"billing worker exited {service.proc.returncode}:\n{service.tail()}"
            )
        time.sleep(0.05)
    raise RuntimeError(f"events not terminal after {TERMINAL_TIMEOUT_S} s:\n{service.tail()}")


def _db_clock(engine: Engine) -> tuple[int, float, float]:
    """Failed events, events/s from the first processed_at to the last, and the first (unix
    seconds: the database runs on this machine, on its clock)."""
    with engine.connect() as conn:
        failed, handled, seconds, first = conn.execute(
            text("""SELECT count(*) FILTER (WHERE status = 'failed'),
                           count(processed_at),
                           extract(epoch FROM max(processed_at) - min(processed_at))::float,
                           extract(epoch FROM min(processed_at))::float
                    FROM webhook_events""")
        ).one()
    return int(failed), handled / seconds if seconds else float("nan"), float(first or "nan")


def _start_py_spy(pid: int, output: str) -> subprocess.Popen[bytes]:
    spy = subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
         "--subprocesses", "--format", "raw", "--rate", "200", "--output", output],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached before the workers take their first batch
    return spy


def _bare_worker(ids: list[str]) -> None:
    with psycopg.connect(DATABASE) as conn:
        for event_id in ids:
            with conn.transaction():
                row = conn.execute(
                    "SELECT type, payload FROM webhook_events WHERE id = %s FOR UPDATE",
                    (event_id,),
                ).fetchone()
                assert row is not None
                conn.execute(
                    "INSERT INTO bench_bare_apply (id, type, payload) VALUES (%s, %s, %s) "
                    "ON CONFLICT (id) DO UPDATE SET payload = excluded.payload",
                    (event_id, row[0], psycopg.types.json.Jsonb(row[1])),
                )
                conn.execute(
                    "UPDATE webhook_events SET status = 'processed', processed_at = now() "
                    "WHERE id = %s",
                    (event_id,),
                )


def bare_run(engine: Engine, ids: list[str]) -> Run:
    """The bare loop over a stored backlog: two processes, half of the ids each."""
    with engine.begin() as tx:
        tx.execute(text(BARE_TABLE))
        tx.execute(text("TRUNCATE bench_bare_apply"))
    started, started_at = time.perf_counter(), time.time()
    halves = [ids[0::2], ids[1::2]]
    processes = [multiprocessing.Process(target=_bare_worker, args=(h,)) for h in halves]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    elapsed = time.perf_counter() - started
    _, db_clock, first_at = _db_clock(engine)
    return Run(len(ids), len(ids) / elapsed, db_clock, first_at - started_at)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy's raw stacks of the last worker run"
    )
    args = parser.parse_args()
    engine = prepare_database()
    workers = [Series("billing worker, from start", "events/s"),
               Series("billing worker, first→last", "events/s")]  # fmt: skip
    bare = [Series("bare loop, from start", "events/s"),
            Series("bare loop, first→last", "events/s")]  # fmt: skip
    for n in range(args.rounds):
        world = build_world(args.users, seed=20251124 + n)
        last = n == args.rounds - 1
        ids = store_backlog(engine, world)
        run = worker_run(engine, ids, service_env(), profile=args.profile if last else None)
        print(f"round {n + 1}: billing worker {run.line()}", flush=True)
        workers[0].add(run.from_start)
        workers[1].add(run.db_clock)
        ids = store_backlog(engine, world)
        run = bare_run(engine, ids)
        print(f"round {n + 1}: bare loop      {run.line()}", flush=True)
        bare[0].add(run.from_start)
        bare[1].add(run.db_clock)
    print(f"\napply, median of {args.rounds} [min–max]")
    for series in [*workers, *bare, ratio("worker / bare loop, first→last", workers[1], bare[1])]:
        print(f"{series.label:<34} {series.show()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
