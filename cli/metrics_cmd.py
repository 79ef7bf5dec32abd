"""`billing metrics`: a project's MRR, ARR, movements and revenue, as a table or JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import typer

from cli.context import parts
from cli.options import AsJson, Project
from cli.output import print_json, render_table
from shared.metrics.report import Window
from shared.operations.metrics import project_metrics
from shared.tenants import validate_project_id

DEFAULT_DAYS = 30


def register(app: typer.Typer) -> None:
    app.command(
        "metrics",
        help="Show a project's MRR, ARR, movements and revenue (README: Subscription metrics). "
        "MRR and ARR of the paying subscriptions now; new, churned and reactivated subscriptions "
        "and MRR movements over UTC days FROM..TO (inclusive; default the last "
        f"{DEFAULT_DAYS} days); revenue of purchases and of subscription invoices. Amounts in "
        "minor units (cents).",
    )(metrics)


def metrics(
    project: Project,
    first: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="YYYY-MM-DD", help="The first day (UTC).", show_default=False
        ),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="YYYY-MM-DD", help="The last day (UTC), inclusive.", show_default=False
        ),
    ] = None,
    by_day: Annotated[
        bool,
        typer.Option(
            "--by-day",
            help="Also show MRR at each day's end and gross revenue of each day (the "
            "dashboard's charts).",
        ),
    ] = False,
    as_json: AsJson = False,
) -> int:
    validate_project_id(project)
    today = datetime.now(UTC).date()
    window = Window.parse(
        first or (_day(last) if last else today - timedelta(DEFAULT_DAYS - 1)).isoformat(),
        last or today.isoformat(),
    )
    with parts().engine.connect() as conn:
        report = project_metrics(conn, project, window, by_day=by_day)
    if as_json:
        print_json(report, sort_keys=True)
        return 0
    print(_tables(report))
    return 0


def _day(raw: str) -> date:
    """--to's day, for the default --from (Window.parse refuses a bad one with its reason)."""
    try:
        return datetime.fromisoformat(raw).date() - timedelta(DEFAULT_DAYS - 1)
    except ValueError:
        return datetime.now(UTC).date()


def _tables(report: dict[str, Any]) -> str:
    mrr, moves, revenue = report["mrr"], report["movements"], report["revenue"]
    lines = [f"project {mrr['project_id']}", "", "MRR (minor units)"]
    lines += _table(
        ["currency", "mrr", "arr", "paying", "not counted"],
        [
            [cur, m["mrr"], m["arr"], m["paying_subscriptions"], m["not_counted"]]
            for cur, m in mrr["currencies"].items()
        ],
    )
    subs = moves["subscriptions"]
    rate = moves["churn_rate"]
    lines += ["", f"Movements {moves['from']} .. {moves['to']} (UTC, inclusive)"]
    lines += _table(
        ["active at start", "new", "churned", "reactivated", "active at end", "churn rate"],
        [[subs["active_at_start"], subs["new"], subs["churned"], subs["reactivated"],
          subs["active_at_end"], "-" if rate is None else f"{rate:.2%}"]],
    )  # fmt: skip
    lines += _table(
        ["currency", "new mrr", "churned mrr", "expansion", "contraction"],
        [
            [cur, m["new_mrr"], m["churned_mrr"], m["expansion_mrr"], m["contraction_mrr"]]
            for cur, m in moves["currencies"].items()
        ],
    )
    lines += ["", "Revenue (minor units)"]
    rows = [
        [kind, cur, m["gross"], m["refunded"], m["net"], m.get("purchases", m.get("invoices"))]
        for kind, key in (("purchases", "currencies"), ("subscriptions", "subscriptions"))
        for cur, m in revenue[key].items()
    ]
    lines += _table(["of", "currency", "gross", "refunded", "net", "count"], rows)
    if "by_day" in report:
        lines += ["", "By day (UTC; MRR at the day's end, gross revenue of the day)"]
        lines += _table(["day", "currency", "mrr", "revenue"], _by_day_rows(report["by_day"]))
    return "\n".join(lines)


def _by_day_rows(by_day: dict[str, Any]) -> list[list[Any]]:
    mrr, revenue = by_day["mrr"], by_day["revenue"]
    rows = []
    for currency in sorted(set(mrr) | set(revenue)):
        mrr_of = dict(mrr.get(currency, []))
        revenue_of = dict(revenue.get(currency, []))
        for day in sorted(set(mrr_of) | set(revenue_of)):
            rows.append([day, currency, mrr_of.get(day, 0), revenue_of.get(day, 0)])
    return rows


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["  (none)"]
    rendered = render_table(header, rows, right=header)
    return ["  " + line for line in rendered.splitlines()]
