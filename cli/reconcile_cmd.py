"""`billing reconcile`: a reconciliation run in the foreground, with progress and a summary;
`billing reconcile runs`: the history of runs."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cli.context import parts
from cli.options import AsJson, Limit
from cli.output import print_json, print_table
from cli.progress import ProgressView
from shared.db.reconciliation_runs import (
    SUMMARY_COUNTERS,
    create_run,
    load_run,
    newest_runs,
    run_json,
    summary_json,
)
from shared.settings import MAX_DAYS_BACK, SettingsError
from shared.stripe_api import NO_STRIPE_KEY
from workers.reconciliation.runner import Reconciler

RUN_COLUMNS = ("run_id", "status", "trigger", "started_at", "drift_detected", "corrected",
               "events_replayed", "errors")  # fmt: skip


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="reconcile",
        help="Compare with the Stripe API now and correct drift (needs STRIPE_SECRET_KEY). Lists "
        "events, subscriptions and PaymentIntents of the last N days from the Stripe API, "
        "replays events never received, corrects every difference and prints the summary. Exit "
        "status 0 when the run finished, 1 when it failed.",
        invoke_without_command=True,
        add_completion=False,
    )
    group.callback()(reconcile)
    group.command("runs", help="List the history of runs, newest first (no Stripe key needed).")(
        reconcile_runs
    )
    app.add_typer(group)


def reconcile(
    ctx: typer.Context,
    days_back: Annotated[
        int | None,
        typer.Option(
            help="Look back N days (default: RECONCILIATION_DAYS_BACK, 7).", show_default=False
        ),
    ] = None,
    as_json: AsJson = False,
) -> int:
    if ctx.invoked_subcommand is not None:
        return 0
    settings = parts().settings
    days_back = settings.reconciliation_days_back if days_back is None else days_back
    if not 1 <= days_back <= MAX_DAYS_BACK:
        raise SettingsError(f"--days-back must be between 1 and {MAX_DAYS_BACK}, got {days_back}")
    client = parts().stripe_client
    if settings.stripe_secret_key is None or client is None:
        raise SettingsError(NO_STRIPE_KEY)
    view = ProgressView(as_json)
    view.configure_logging(settings)  # log lines to stderr: stdout is progress and summary
    run_id = create_run(parts().engine, "cli", days_back)
    assert run_id is not None
    if not as_json:
        print(f"reconciliation {run_id}: last {days_back} day(s)", flush=True)
    with view:
        Reconciler.from_parts(parts(), client).run(
            run_id, days_back, lambda kind, count: view.show(f"{kind}: {count}")
        )
    row = load_run(parts().engine, run_id)
    assert row is not None
    if as_json:
        print_json({"run_id": row["id"], "status": row["status"], **summary_json(row),
                    "error_message": row.get("error_message")})  # fmt: skip
    else:
        print_summary(row)
    return 0 if row["status"] == "finished" else 1


def print_summary(row: dict[str, Any]) -> None:
    summary = summary_json(row)
    out = sys.stdout
    out.write(f"{'run_id':<22} {row['id']}\n{'status':<22} {row['status']}\n")
    for name in (*SUMMARY_COUNTERS, "started_at", "finished_at"):
        out.write(f"{name:<22} {summary[name]}\n")
    if row.get("error_message"):
        out.write(f"{'error':<22} {row['error_message']}\n")


def reconcile_runs(limit: Limit = 20, as_json: AsJson = False) -> int:
    runs = [run_json(row) for row in newest_runs(parts().engine, limit)]
    if as_json:
        print_json({"runs": runs, "count": len(runs)})
        return 0
    print_table(
        [column.upper() for column in RUN_COLUMNS],
        [[run[column] for column in RUN_COLUMNS] for run in runs],
    )
    return 0
