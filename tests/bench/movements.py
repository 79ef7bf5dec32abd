"""`make bench`: the metrics queries, straight on the database, over 100,000 subscriptions with
three snapshots each of history and 100,000 purchases (seed.py), in the `billing_bench`
database, vacuumed as autovacuum leaves it (index-only scans need the visibility map). Prints
the median of 5 timings of each query, the movements of March and of August (the data's last
month), and PostgreSQL's plan of the movements counts with --plan. The same endpoints over HTTP
are timed by reads.py. Numbers are for comparing changes."""

from __future__ import annotations

import argparse
import sys
import time
from statistics import median

from sqlalchemy import text

from shared import tenants
from shared.db.sql import Statement
from shared.metrics import queries
from shared.metrics.report import Window
from tests.bench.environment import prepare_database
from tests.bench.seed import MOVEMENTS_WINDOW, seed
from tests.support.stores import truncate_all_tables


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--plan", action="store_true", help="print the movements counts plan")
    args = parser.parse_args()
    engine = prepare_database()
    truncate_all_tables(engine)
    started = time.perf_counter()
    with engine.begin() as tx:
        tenants.create_project(tx, "acme", None)
    seed(engine, args.subscriptions, args.purchases)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would: index-only scans need it
    print(f"seeded {args.subscriptions} subscriptions, {3 * args.subscriptions} history rows, "
          f"{args.purchases} purchases in {time.perf_counter() - started:.1f} s")  # fmt: skip
    window = Window.parse(*MOVEMENTS_WINDOW).params
    timed: dict[str, tuple[Statement, dict[str, int]]] = {
        "mrr": (queries.MRR, {}),
        "movements": (queries.MOVEMENTS, window),
        "movements, August": (queries.MOVEMENTS, Window.parse("2026-08-01", "2026-08-31").params),
        "subscription revenue": (queries.INVOICE_REVENUE, {}),
        "purchase revenue": (queries.PURCHASE_REVENUE, {}),
        "subscriptions by status": (queries.BY_STATUS, {}),
    }
    with engine.connect() as conn:
        print(f"{'query, median of 5':30} {'ms':>8}")
        for name, (statement, params) in timed.items():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                conn.execute(statement.sync, {"p": "acme", **params}).all()
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{name:30} {median(times):8.1f}")
        if args.plan:
            plan = conn.execute(
                text("EXPLAIN (ANALYZE, BUFFERS) " + queries.MOVEMENTS.sql),
                {"p": "acme", **window},
            ).scalars()
            print("\n".join(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
