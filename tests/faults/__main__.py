"""`python -m tests.faults`: the fault suite (see tests/faults/__init__.py and README)."""

from __future__ import annotations

import argparse
import atexit
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.faults import report
from tests.faults.scenarios import Config, Harness, Result, run_guarded, secrets_in_logs
from tests.faults.suite import EXTRA, SCENARIOS, SHORT

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.faults",
        description="Run the service's real processes against a private PostgreSQL and Redis, "
        "inject faults, and compare the end state with the oracle.",
    )
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"fewer users and only {', '.join(SHORT)} (and secrets)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[*SCENARIOS, *EXTRA, "secrets"],
        help="run only this scenario (repeatable); secrets always runs last",
    )
    parser.add_argument("--users", type=int, help="users in each world (default 150; --short 50)")
    parser.add_argument("--seed", type=int, default=Config.seed)
    parser.add_argument(
        "--no-results-file", action="store_true", help=f"do not write {RESULTS_PATH.name}"
    )
    args = parser.parse_args(argv)

    config = Config(seed=args.seed)
    names = list(SCENARIOS)
    if args.short:
        config.users, config.spread_s, config.hostile_examples = 50, 16.0, 120
        names = list(SHORT)
    if args.scenario:
        names = [n for n in [*SCENARIOS, *EXTRA] if n in args.scenario]
    if args.users:
        config.users = args.users

    root = Path(tempfile.mkdtemp(prefix="billing-faults-"))
    harness = Harness(root, config)
    atexit.register(harness.shutdown)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(
        f"fault suite: {len(names)} scenario(s), {config.users} users each; "
        f"logs in {harness.log_root}",
        flush=True,
    )
    started = time.monotonic()
    results: list[Result] = []
    try:
        harness.start_stores()
        print(
            f"private PostgreSQL ({harness.postgres.bin.parent.name}) on port "
            f"{harness.postgres.port}, Redis on port {harness.redis.port}",
            flush=True,
        )
        for name in names:
            print(f"--- {name}", flush=True)
            result = run_guarded(name, {**SCENARIOS, **EXTRA}[name], harness)
            results.append(result)
            print(report.details(result), flush=True)
        harness.shutdown()  # every process stopped: their logs are complete
        results.append(run_guarded("secrets", secrets_in_logs, harness))
        print(report.details(results[-1]), flush=True)
    finally:
        harness.shutdown()
    total = time.monotonic() - started
    print()
    print(report.table(results))
    ok = all(r.ok for r in results)
    if not args.no_results_file:
        RESULTS_PATH.write_text(report.markdown(results, total, args.short, config))
    print(f"\n{'PASS' if ok else 'FAIL'} in {total:.0f} s; logs kept in {harness.log_root}")
    if not ok:
        print("failing conditions:")
        for result in results:
            for failure in result.outcome.failures:
                print(f"  [{result.name}] {failure}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
