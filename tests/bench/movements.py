"""`make bench`: the metrics queries over 100,000 subscriptions with three snapshots each of
history, in the `billing_bench` database (vacuumed, as autovacuum leaves it). Prints the median
of 5 timings of each query, the movements of March and of August (the data's last month), and
PostgreSQL's plan of the March movements with --plan. Numbers are for comparing changes."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from statistics import median

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from shared.db.sql import Statement
from shared.metrics import queries
from shared.metrics.report import Window
from tests.support.stores import truncate_all_tables

DATABASE = "postgresql://postgres@localhost:5432/billing_bench"
DAY0 = 1_767_225_600  # 2026-01-01 UTC
SEED = """
INSERT INTO projects (id, name) VALUES ('acme', 'acme');
INSERT INTO customers (id, project_id, user_id, linked_by_created)
    SELECT 'cus_' || g, 'acme', 'u' || g, 1 FROM generate_series(1, :n) g;
INSERT INTO subscriptions (id, customer_id, status, status_rank, product_ids,
                           cancel_at_period_end, snapshot_created, currency, mrr,
                           first_paying_created, first_paying_mrr, first_paying_currency)
    SELECT 'sub_' || g, 'cus_' || g,
           (ARRAY['active', 'past_due', 'canceled', 'trialing'])[1 + g % 4], 2, '{prod_pro}',
           false, :day0 + (g % 180) * 86400 + 2 * 86400 * 30, 'usd', 2000 * (1 + g % 3),
           :day0 + (g % 180) * 86400 + 86400 * 30, 2000 * (1 + g % 3), 'usd'
    FROM generate_series(1, :n) g;
INSERT INTO subscription_history (subscription_id, created, status, status_rank, deleted,
                                  paying, mrr, currency, not_counted, valid_to)
    SELECT 'sub_' || g, :day0 + (g % 180) * 86400 + k * 86400 * 30,
           CASE k WHEN 0 THEN 'trialing' WHEN 1 THEN 'active'
                  ELSE (ARRAY['active', 'past_due', 'canceled', 'trialing'])[1 + g % 4] END,
           2, false,
           CASE k WHEN 0 THEN false WHEN 1 THEN true ELSE g % 4 IN (0, 1) END,
           2000 * (1 + g % 3), 'usd', false,
           CASE WHEN k < 2 THEN :day0 + (g % 180) * 86400 + (k + 1) * 86400 * 30 END
    FROM generate_series(1, :n) g, generate_series(0, 2) k;
ANALYZE;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--plan", action="store_true", help="print the movements counts plan")
    args = parser.parse_args()
    env = {"DATABASE_URL": DATABASE, "PATH": "/usr/bin:/bin"}
    for step in (["createdb"], ["migrate"]):
        subprocess.run([sys.executable, "-m", "cli.main", *step], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    engine = create_engine(DATABASE.replace("postgresql://", "postgresql+psycopg://"),
                           poolclass=NullPool)  # fmt: skip
    truncate_all_tables(engine)
    started = time.perf_counter()
    with engine.begin() as tx:
        for seed_sql in SEED.split(";"):
            if seed_sql.strip():
                tx.execute(text(seed_sql), {"n": args.subscriptions, "day0": DAY0})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would: index-only scans need it
    print(f"seeded {args.subscriptions} subscriptions, {3 * args.subscriptions} history rows "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    window = Window.parse("2026-03-01", "2026-03-31").params
    timed: dict[str, tuple[Statement, dict[str, int]]] = {
        "mrr": (queries.MRR, {}),
        "movements": (queries.MOVEMENTS, window),
        "movements, August": (queries.MOVEMENTS, Window.parse("2026-08-01", "2026-08-31").params),
        "subscription revenue": (queries.INVOICE_REVENUE, {}),
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
