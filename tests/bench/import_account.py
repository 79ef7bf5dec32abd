"""`make bench`: `billing import` of a whole account from the fake Stripe API.

The account: 10,000 customers, each with an active subscription, whose owners live in the four
places of tests/db/adoption/account.py (our metadata, the `userId` key, only a Checkout
Session's client_reference_id, nowhere), so 2,500 completed Checkout Sessions too. The fake runs
in this process on a loopback port; `billing import` runs as its own process with the rate limit
lifted (STRIPE_API_RATE=0) against the `billing_bench` database. Each run starts from emptied
tables; the table shows the median of the runs. "fake alone" is the time the fake takes to
answer the same requests with no import behind them: the part of the wall time that is the test
double's, not the service's. The numbers are for comparing changes on one machine.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from statistics import median
from typing import Any

import httpx
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from shared import tenants
from tests import stripe_events as se
from tests.bench.environment import DATABASE, REDIS
from tests.db.adoption.account import (
    CHECKOUT_ONLY,
    OTHER_KEY,
    OUR_METADATA,
    PERIOD_END,
    PRODUCT,
    PROJECT,
    customer_id,
    user_id,
)
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import truncate_all_tables

CREATED = 1_700_000_000
TARGET_S = 60.0
COUNTERS = ("customers", "checkout_sessions", "subscriptions", "purchases")


@dataclass
class Run:
    wall_s: float
    import_s: float
    requests: int
    objects: int
    peak_rss_mb: float
    fake_s: float = 0.0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.wall_s

    @property
    def objects_per_s(self) -> float:
        return self.objects / self.wall_s


def build_account(fake: FakeStripe, customers: int) -> None:
    """The same account as tests/db/adoption/account.py builds, from one template of each object
    with its ids patched: seconds faster for 10,000 customers."""
    cus_t = se.customer("cus_template", created=CREATED)
    sub_t = se.subscription(
        "sub_template", customer="cus_template", status="active", products=[PRODUCT],
        period_end=PERIOD_END, created=CREATED,
    )  # fmt: skip
    cs_t = se.checkout_session(
        "cs_template", mode="subscription", customer="cus_template", created=CREATED
    )
    for n in range(customers):
        place, cus, created = n % 4, customer_id(n), CREATED + n
        customer = copy.deepcopy(cus_t)
        customer.update(id=cus, created=created, invoice_prefix=cus[-8:].upper())
        if place == OUR_METADATA:
            customer["metadata"] = {"project_id": PROJECT, "user_id": user_id(n)}
        elif place == OTHER_KEY:
            customer["metadata"] = {"userId": user_id(n)}
        fake.store.put("customer", customer)
        sub_id = f"sub_{n:06d}"
        if place == CHECKOUT_ONLY:
            session = copy.deepcopy(cs_t)
            session.update(id=f"cs_{n:06d}", customer=cus, subscription=sub_id, created=created)
            session.update(client_reference_id=user_id(n), expires_at=created + 86_400)
            fake.store.put("checkout.session", session)
        sub = copy.deepcopy(sub_t)
        sub.update(id=sub_id, customer=cus, created=created, start_date=created)
        sub["billing_cycle_anchor"] = created
        for item in sub["items"]["data"]:
            item.update(id=f"si_{n:06d}", subscription=sub_id, created=created)
        sub["items"]["url"] = f"/v1/subscription_items?subscription={sub_id}"
        fake.store.put("subscription", sub)


def set_up(engine: Engine) -> None:
    """Empty tables and queue, then the project as the README's walk-through sets it up."""
    truncate_all_tables(engine)
    redis.Redis.from_url(REDIS).flushdb()
    with engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
        tenants.set_default_project(tx, PROJECT)
        tenants.set_user_id_keys(tx, PROJECT, ["userId", "user_id"])


def import_once(
    fake: FakeStripe, engine: Engine, env: dict[str, str], profile: str | None = None
) -> Run:
    set_up(engine)
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    first = len(fake.request_log)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *profiler, "-m", "cli.main", "import"], env=env, stdout=out,
            stderr=err, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        peak_kb = 0
        while proc.poll() is None:  # the peak so far, read until the process ends
            peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
            time.sleep(0.2)
        wall_s = time.perf_counter() - started
        if proc.returncode != 0:
            out.seek(0)
            err.seek(0)
            tail = (out.read() + err.read())[-4000:].decode(errors="replace")
            raise RuntimeError(f"billing import exited {proc.returncode}:\n{tail}")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM imports")).mappings().one()
    assert row["status"] == "finished" and row["errors"] == 0, dict(row)
    return Run(
        wall_s=wall_s,
        import_s=(row["finished_at"] - row["started_at"]).total_seconds(),
        requests=len(fake.request_log) - first,
        objects=sum(row[name] for name in COUNTERS),
        peak_rss_mb=peak_kb / 1024,
    )


def _peak_rss_kb(pid: int) -> int:
    """VmHWM of a running process (its own, from its exec on), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fake_alone(fake: FakeStripe, requests: list[tuple[str, str, Any]]) -> float:
    """The time the fake takes to answer `requests` one after another, with nothing else."""
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    with httpx.Client(base_url=fake.base_url, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        for _, path, params in requests:
            query = {
                k if not isinstance(v, list) else f"{k}[]": v
                for k, v in params.items()
                if not isinstance(v, dict)
            }
            assert client.get(path, params=query).status_code == 200
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="write the import's cProfile stats")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE,
        "REDIS_URL": REDIS,
        "STRIPE_API_RATE": "0",
        "LOG_FORMAT": "json",
        "RECONCILIATION_ENABLED": "false",
    }
    for step in (["createdb"], ["migrate"]):
        subprocess.run(
            [sys.executable, "-m", "cli.main", *step], env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    engine = create_engine(DATABASE.replace("postgresql://", "postgresql+psycopg://"),
                           poolclass=NullPool)  # fmt: skip
    with FakeStripe() as fake:
        started = time.perf_counter()
        build_account(fake, args.customers)
        print(
            f"account: {args.customers} customers, {fake.store.count('subscription')} "
            f"subscriptions, {fake.store.count('checkout.session')} Checkout Sessions "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        env.update(STRIPE_SECRET_KEY=fake.api_key, STRIPE_API_BASE=fake.base_url)
        runs = []
        for number in range(1, args.runs + 1):
            first = len(fake.request_log)
            run = import_once(fake, engine, env, args.profile)
            run.fake_s = fake_alone(fake, fake.request_log[first : first + run.requests])
            runs.append(run)
            print(
                f"run {number}: {run.wall_s:6.1f} s wall, {run.requests} requests, "
                f"{run.objects} objects, peak RSS {run.peak_rss_mb:.0f} MB"
            )
        set_up(engine)  # leave nothing behind but the schema and the project
    engine.dispose()

    def mid(name: str) -> float:
        return median(getattr(run, name) for run in runs)

    print()
    print(f"{'billing import, median of ' + str(len(runs)):<34} {'value':>10}")
    for label, value, unit in [
        ("wall time", mid("wall_s"), "s"),
        ("  of which the import itself", mid("import_s"), "s"),
        ("  of which the fake answering", mid("fake_s"), "s"),
        ("Stripe requests", mid("requests"), ""),
        ("Stripe requests per second", mid("requests_per_s"), "/s"),
        ("objects", mid("objects"), ""),
        ("objects per second", mid("objects_per_s"), "/s"),
        ("peak RSS of the import", mid("peak_rss_mb"), "MB"),
    ]:
        print(f"{label:<34} {value:>10.1f} {unit}")
    verdict = "met" if mid("wall_s") < TARGET_S else "MISSED"
    print(f"target: under {TARGET_S:.0f} s wall time with the rate limit lifted: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
