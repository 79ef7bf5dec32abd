"""`make bench`, parts 2, 3, 5 and the worker half of 6: every apply run of a round, each
product run beside its reference, on the machinery of apply_events.py.

A round builds the realistic world of --users users (and the same world with look-ups: some
owners and products known only to the Stripe API) and applies a fresh copy of its backlog with:
  a. `billing worker --processes 2 --enrichment-threads 0` on an otherwise empty database;
  b. the bare apply loop (the reference of a);
  c. as a, with 100,000 subscriptions and 100,000 purchases already stored (flat cost);
  d. `billing worker --processes 2` (default look-up pool) without STRIPE_SECRET_KEY, look-up
     world;
  e. as d with a key and the fake Stripe API answering every call after --stripe-delay-ms
     (d and e run `lookup_pairs` times a round, d first and e first in turn, each e against
     the d of its pair);
  f. as a with 1 and 4 worker processes (a is the curve's 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from tests.bench.apply_events import Run, bare_run, store_backlog, worker_run
from tests.bench.environment import service_env
from tests.bench.results import Scale, ScalePoint, Section, Series, Target, number, ratio
from tests.fakes.stripe_api import FakeStripe
from tests.faults.world import World, build_world

SEED = 20251124
NODE_RATE = 460  # events/s, the Node sync engine measured in-request on this machine
TARGET_RATE = 1.5 * NODE_RATE
STRIPE_KEY = "sk_test_bench"


@dataclass
class Sizes:
    users: int
    seeded: tuple[int, int]  # subscriptions, purchases stored for the flat-cost runs
    worker_processes: tuple[int, ...] = (1, 2, 4)
    stripe_delay_s: float = 0.2
    lookup_pairs: int = 2  # d/e pairs a round: part 3's ratio is the one closest to its target


@dataclass
class Pair:
    """A configuration's rates over the rounds: from the worker's start and first→last."""

    start: Series
    clock: Series
    rss_mb: list[float] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)  # start → first processed_at


def _pair(section: Section, label: str) -> Pair:
    return Pair(section.add(f"{label}, from start", "events/s"),
                section.add(f"{label}, first→last", "events/s"))  # fmt: skip


def run(
    engine: Engine, rounds: int, sizes: Sizes, profile: str | None = None
) -> tuple[list[Section], Scale]:
    apply_, lookups, flat = _sections(sizes)
    worker = _pair(apply_, "billing worker --processes 2")
    bare = _pair(apply_, "bare loop (2 processes)")
    no_key = _pair(lookups, "without a key")
    with_key = _pair(lookups, f"with a key, Stripe {sizes.stripe_delay_s * 1000:.0f} ms a call")
    calls = lookups.add("Stripe calls answered while events were applied", "calls")
    seeded = _pair(flat, "on the seeded database")
    scale = Scale("billing worker: applied events/s (first→last)", "events/s")
    by_processes = {n: Pair(Series(f"{n}", "events/s"), Series(f"{n}", "events/s"))
                    for n in sizes.worker_processes if n != 2}  # fmt: skip
    by_processes[2] = worker
    with FakeStripe(api_key=STRIPE_KEY) as fake:
        for n in range(rounds):
            print(f"apply round {n + 1}/{rounds}", flush=True)
            world = build_world(sizes.users, SEED + n)
            last = n == rounds - 1
            _record(worker, "a. worker, empty database", worker_run(
                engine, store_backlog(engine, world), service_env(),
                profile=profile if last else None,
            ))  # fmt: skip
            _record(bare, "b. bare loop", bare_run(engine, store_backlog(engine, world)))
            _record(seeded, "c. worker, seeded database", worker_run(
                engine, store_backlog(engine, world, sizes.seeded), service_env()
            ))  # fmt: skip
            with_lookups = build_world(sizes.users, SEED + n, lookups=True)
            for p in range(sizes.lookup_pairs):
                d_first = (n * sizes.lookup_pairs + p) % 2 == 0  # alternating: drift cancels
                for keyed in (False, True) if d_first else (True, False):
                    if keyed:
                        calls.add(_with_key(engine, fake, with_lookups, with_key,
                                            sizes.stripe_delay_s))  # fmt: skip
                    else:
                        _record(no_key, "d. worker, no key", worker_run(
                            engine, store_backlog(engine, with_lookups), service_env(),
                            enrichment_threads=None,
                        ))  # fmt: skip
            for processes, pair in sorted(by_processes.items()):
                if processes != 2:
                    _record(pair, f"f. worker --processes {processes}", worker_run(
                        engine, store_backlog(engine, world), service_env(), processes,
                    ))  # fmt: skip
    for processes, pair in sorted(by_processes.items()):
        scale.points.append(ScalePoint(processes, pair.clock, pair.rss_mb))
        if processes != 2:
            apply_.series.append(Series(f"billing worker --processes {processes}, first→last",
                                        "events/s", pair.clock.values))  # fmt: skip
    _conclude(apply_, lookups, flat, worker, bare, no_key, with_key, seeded)
    return [apply_, lookups, flat], scale


def _sections(sizes: Sizes) -> tuple[Section, Section, Section]:
    apply_ = Section(
        "Apply: billing worker against the bare loop",
        f"The fault suite's world for {sizes.users:,} users, every event stored with the "
        "workers off, then enqueued 16 ids a message (as the ingress does under load), then "
        "the worker started; timed until "
        "every event is terminal. 'from start': from the worker's process start (start-up "
        "included); 'first→last': on the database's clock, from the first `processed_at` to "
        "the last. The bare loop: two processes, one upsert and one commit an event, no rules.",
        commands=["billing worker --processes 2 --enrichment-threads 0",
                  "python -m tests.bench.apply_events (the bare loop: bare_run)"],
    )  # fmt: skip
    lookups = Section(
        "Stripe look-ups off the event path",
        "The same world with look-ups (some owners only in a Stripe Customer's metadata, some "
        "products only in a Checkout Session's line items), applied by `billing worker "
        "--processes 2` with its default look-up pool, without STRIPE_SECRET_KEY and with a "
        "key and the fake Stripe API (tests/fakes) answering every call after "
        f"{sizes.stripe_delay_s * 1000:.0f} ms. Timed until every event is terminal; look-ups "
        f"still pending then are not waited for. {sizes.lookup_pairs} pairs a round, the run "
        "without a key first and the one with a key first in turn; each ratio is of one pair.",
        commands=["billing worker --processes 2",
                  "STRIPE_SECRET_KEY=sk_test_bench STRIPE_API_BASE=<fake> billing worker "
                  "--processes 2"],
    )  # fmt: skip
    flat = Section(
        "Flat cost: apply on a full database",
        f"Run a of the apply part again with {sizes.seeded[0]:,} subscriptions (three history "
        f"snapshots and a paid invoice each) and {sizes.seeded[1]:,} purchases already stored "
        "(tests/bench/seed.py), then ANALYZE, against the empty database of run a.",
        commands=["billing worker --processes 2 --enrichment-threads 0"],
    )
    return apply_, lookups, flat


def _with_key(engine: Engine, fake: FakeStripe, world: World, pair: Pair, delay_s: float) -> int:
    """Run e: the fake holds what the look-ups ask for and answers each after `delay_s`."""
    for customer in world.stripe_customers.values():
        fake.add_customer(customer)
    for session, item in world.stripe_sessions:
        fake.add_checkout_session(session, [item])
    env = service_env(STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_API_BASE=fake.base_url)
    ids = store_backlog(engine, world)
    before = len(fake.request_log)
    fake.hang_next(10**9, delay_s)
    try:
        result = worker_run(engine, ids, env, enrichment_threads=None)
    finally:
        fake.clear_faults()
    answered = len(fake.request_log) - before
    _record(pair, f"e. worker, key, Stripe {delay_s * 1000:.0f} ms ({answered} calls)", result)
    return answered


def _record(pair: Pair, label: str, run: Run) -> None:
    pair.start.add(run.from_start)
    pair.clock.add(run.db_clock)
    pair.rss_mb.extend(run.rss_mb)
    pair.first_s.append(run.first_s)
    warning = f"  ({run.failed} FAILED events)" if run.failed else ""
    print(f"  {label:<42} {run.line()}{warning}", flush=True)


def _conclude(
    apply_: Section,
    lookups: Section,
    flat: Section,
    worker: Pair,
    bare: Pair,
    no_key: Pair,
    with_key: Pair,
    seeded: Pair,
) -> None:
    apply_.ratios += [
        ratio("worker / bare loop, first→last", worker.clock, bare.clock),
        ratio("worker / bare loop, from start", worker.start, bare.start),
    ]
    apply_.series.append(Series("billing worker --processes 2: start → first processed_at",
                                "s", worker.first_s))  # fmt: skip
    rate = worker.clock.median
    apply_.targets.append(Target(
        f"billing worker ≥ {TARGET_RATE:.0f} events/s (1.5× the Node sync engine's "
        f"{NODE_RATE}/s)",
        f"{number(rate)}/s first→last ({rate / NODE_RATE:.2f}× Node), "
        f"{number(worker.start.median)}/s from start",
        rate >= TARGET_RATE,
    ))  # fmt: skip
    key_ratio = ratio("with key / without, first→last", with_key.clock, no_key.clock)
    lookups.ratios += [
        key_ratio,
        ratio("with key / without, from start", with_key.start, no_key.start),
    ]
    lookups.targets.append(Target(
        "with a key and a slow Stripe API, within 10 % of the rate without a key",
        f"ratio {number(key_ratio.median)} first→last", key_ratio.median >= 0.9,
    ))  # fmt: skip
    flat_ratio = ratio("seeded / empty, first→last", seeded.clock, worker.clock)
    flat.ratios += [flat_ratio, ratio("seeded / empty, from start", seeded.start, worker.start)]
    flat.series.insert(0, Series("on the empty database (run a), first→last", "events/s",
                                 worker.clock.values))  # fmt: skip
    flat.targets.append(Target(
        "apply rate on the full database within 20 % of the empty one",
        f"ratio {number(flat_ratio.median)} first→last", flat_ratio.median >= 0.8,
    ))  # fmt: skip
