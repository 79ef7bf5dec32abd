"""`make bench`: how fast `billing worker --processes 2` applies a stored backlog, beside a
bare apply loop measured in the same sitting.

The backlog: the fault suite's realistic world (subscriptions that renew, fail and recover,
purchases, refunds, invoices) for --users users, every event stored once with the workers
off. A round enqueues a message per event to running workers and times until every event is
terminal. The bare loop is the floor of any worker: two processes, each taking events one by
one, one upsert of the payload into a scratch table and the event stamped, one commit each, no
rules. Rounds alternate the two; the table shows medians with min-max. Numbers are for
comparing changes on one machine, not for asserting.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import psycopg
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from shared import tenants
from shared.db import webhook_events
from shared.queue import create_broker, enqueue_event
from shared.settings import load_settings
from tests.faults.world import build_world
from tests.support.stores import truncate_all_tables

DATABASE = "postgresql://postgres@localhost:5432/billing_bench"
REDIS = "redis://localhost:6379/14"
READY = "Worker process is ready for action."
BARE_TABLE = """CREATE TABLE IF NOT EXISTS bench_bare_apply
                (id text PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL)"""


def store_backlog(engine: Engine, users: int, seed: int) -> list[str]:
    truncate_all_tables(engine)
    redis.Redis.from_url(REDIS).flushdb()
    world = build_world(users, seed)
    with engine.begin() as tx:
        tenants.create_project(tx, "acme", None)
        for event in world.events:
            webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    return [str(event["id"]) for event in world.events]


def terminal_after(engine: Engine, count: int, started: float, timeout_s: float = 900) -> float:
    while time.perf_counter() - started < timeout_s:
        with engine.connect() as conn:
            done = conn.execute(
                text("SELECT count(*) FROM webhook_events WHERE status <> 'received'")
            ).scalar_one()
        if done >= count:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError(f"events not terminal after {timeout_s} s")


def worker_round(
    engine: Engine, ids: list[str], env: dict[str, str], profile: str | None = None
) -> float:
    """Events/s of `billing worker --processes 2`, timed from the first enqueue. With `profile`,
    py-spy samples every worker process meanwhile and writes collapsed stacks there."""
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker", "--processes", "2",
             "--enrichment-threads", "0"],
            env=env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while Path(log.name).read_text(errors="replace").count(READY) < 2:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("worker not ready:\n" + Path(log.name).read_text()[-2000:])
                time.sleep(0.1)
            broker = create_broker(load_settings(env))
            spy = _start_py_spy(proc.pid, profile) if profile else None
            started = time.perf_counter()
            for event_id in ids:
                enqueue_event(broker, event_id)
            rate = len(ids) / terminal_after(engine, len(ids), started)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            said = Path(log.name).read_text(errors="replace")
            print(f"  batches split: {said.count('events.batch_split')}, "
                  f"busy: {said.count('event.busy')}")  # fmt: skip
            return rate
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=60)


def _start_py_spy(pid: int, output: str) -> subprocess.Popen[bytes]:
    spy = subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
         "--subprocesses", "--format", "raw", "--rate", "200", "--output", output],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached before the first message
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


def bare_round(engine: Engine, ids: list[str]) -> float:
    with engine.begin() as tx:
        tx.execute(text(BARE_TABLE))
        tx.execute(text("TRUNCATE bench_bare_apply"))
    started = time.perf_counter()
    halves = [ids[0::2], ids[1::2]]
    processes = [multiprocessing.Process(target=_bare_worker, args=(h,)) for h in halves]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    return len(ids) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy's collapsed stacks of the last worker round"
    )
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": DATABASE, "REDIS_URL": REDIS, "LOG_FORMAT": "json",
           "STRIPE_WEBHOOK_SECRET": "whsec_bench", "RECONCILIATION_ENABLED": "false"}  # fmt: skip
    env.pop("STRIPE_SECRET_KEY", None)
    for step in (["createdb"], ["migrate"]):
        subprocess.run([sys.executable, "-m", "cli.main", *step], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    engine = create_engine(DATABASE.replace("postgresql://", "postgresql+psycopg://"),
                           poolclass=NullPool)  # fmt: skip
    workers: list[float] = []
    bare: list[float] = []
    for n in range(args.rounds):
        ids = store_backlog(engine, args.users, seed=20251124 + n)
        last = n == args.rounds - 1
        workers.append(worker_round(engine, ids, env, args.profile if last else None))
        ids = store_backlog(engine, args.users, seed=20251124 + n)
        bare.append(bare_round(engine, ids))
        print(f"round {n + 1}: {len(ids)} events; billing worker {workers[-1]:.0f}/s, "
              f"bare loop {bare[-1]:.0f}/s")  # fmt: skip
    w, b = median(workers), median(bare)
    print(f"\napply, median of {args.rounds}   events/s  [min-max]")
    print(f"billing worker (2 processes) {w:8.0f}  [{min(workers):.0f}-{max(workers):.0f}]")
    print(f"bare apply loop (2 processes) {b:7.0f}  [{min(bare):.0f}-{max(bare):.0f}]")
    print(f"ratio worker / bare loop      {w / b:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
