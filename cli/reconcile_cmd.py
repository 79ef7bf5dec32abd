"""`billing reconcile`: a reconciliation run in the foreground, with progress and a summary."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from cli.context import parts
from shared.db.reconciliation_runs import (
    SUMMARY_COUNTERS,
    create_run,
    load_run,
    newest_runs,
    run_json,
    summary_json,
)
from shared.log_setup import configure_logging
from shared.settings import MAX_DAYS_BACK, SettingsError
from shared.stripe_api import NO_STRIPE_KEY
from workers.reconciliation.runner import Reconciler


def register(commands: Any) -> None:
    p = commands.add_parser(
        "reconcile",
        help="compare with the Stripe API now and correct drift (needs STRIPE_SECRET_KEY)",
        description="Lists events, subscriptions and PaymentIntents of the last N days from the "
        "Stripe API, replays events never received, corrects every difference and prints the "
        "summary. Exit status 0 when the run finished, 1 when it failed.",
    )
    p.add_argument(
        "--days-back",
        type=int,
        default=None,
        help="look-back window in days (default: RECONCILIATION_DAYS_BACK, 7)",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["runs"],
        help="runs: the history of runs, newest first, instead of a new run",
    )
    p.add_argument("--limit", type=int, default=20, help="runs: at most N (default 20)")
    p.add_argument("--json", action="store_true", help="runs: one JSON document on stdout")
    p.set_defaults(run=reconcile)


class ProgressReporter:
    """A one-line bar on a terminal, plain lines otherwise (logs, CI)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()

    def __call__(self, kind: str, count: int) -> None:
        if self.tty:
            bar = "#" * min(40, count // 100 + 1)
            self.out.write(f"\r{kind:<22} {count:>7} {bar:<40}")
            self.out.flush()
        else:
            self.out.write(f"{kind}: {count}\n")

    def done(self) -> None:
        if self.tty:
            self.out.write("\n")


def reconcile(args: argparse.Namespace) -> int:
    if args.action == "runs":
        return reconcile_runs(args)
    settings = parts().settings
    # log lines to stderr: stdout is progress and summary
    configure_logging(settings.log_format, settings.log_level)
    days_back = settings.reconciliation_days_back if args.days_back is None else args.days_back
    if not 1 <= days_back <= MAX_DAYS_BACK:
        raise SettingsError(f"--days-back must be between 1 and {MAX_DAYS_BACK}, got {days_back}")
    if settings.stripe_secret_key is None:
        print(f"billing reconcile: refused: {NO_STRIPE_KEY}", file=sys.stderr)
        return 2
    client = parts().stripe_client
    assert client is not None
    run_id = create_run(parts().engine, "cli", days_back)
    assert run_id is not None
    print(f"reconciliation {run_id}: last {days_back} day(s)")
    progress = ProgressReporter(sys.stdout)
    Reconciler.from_parts(parts(), client).run(run_id, days_back, progress)
    progress.done()
    row = load_run(parts().engine, run_id)
    assert row is not None
    print_summary(row, sys.stdout)
    return 0 if row["status"] == "finished" else 1


def print_summary(row: dict[str, Any], out: TextIO) -> None:
    summary = summary_json(row)
    out.write(f"{'run_id':<22} {row['id']}\n{'status':<22} {row['status']}\n")
    for name in (*SUMMARY_COUNTERS, "started_at", "finished_at"):
        out.write(f"{name:<22} {summary[name]}\n")
    if row.get("error_message"):
        out.write(f"{'error':<22} {row['error_message']}\n")


def reconcile_runs(args: argparse.Namespace) -> int:
    """`billing reconcile runs`: what each run found, newest first (no Stripe key needed)."""
    if args.limit < 1:
        raise SettingsError(f"--limit must be at least 1, got {args.limit}")
    runs = [run_json(row) for row in newest_runs(parts().engine, args.limit)]
    if args.json:
        print(json.dumps({"runs": runs, "count": len(runs)}, indent=2))
        return 0
    columns = ("run_id", "status", "trigger", "started_at", "drift_detected", "corrected",
               "events_replayed", "errors")  # fmt: skip
    widths = {c: max([len(c), *(len(str(r[c])) for r in runs)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for run in runs:
        print("  ".join(str(run[c]).ljust(widths[c]) for c in columns))
    return 0
