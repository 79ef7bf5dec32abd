"""`billing metrics`: a project's MRR, ARR, movements and revenue, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cli.context import parts
from shared.metrics.report import Window
from shared.operations.metrics import project_metrics
from shared.tenants import validate_project_id

DEFAULT_DAYS = 30


def register(commands: Any) -> None:
    p = commands.add_parser(
        "metrics",
        help="a project's MRR, ARR, movements and revenue (README: Subscription metrics)",
        description="MRR and ARR of the paying subscriptions now; new, churned and reactivated "
        "subscriptions and MRR movements over UTC days FROM..TO (inclusive; default the last "
        f"{DEFAULT_DAYS} days); revenue of purchases and of subscription invoices. Amounts in "
        "minor units (cents).",
    )
    p.add_argument("--project", required=True, help="project id")
    p.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="first day (UTC)")
    p.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="last day (UTC), inclusive")
    p.add_argument(
        "--by-day",
        action="store_true",
        help="also MRR at each day's end and gross revenue of each day (the dashboard's charts)",
    )
    p.add_argument("--json", action="store_true", help="print JSON, as the API answers")
    p.set_defaults(run=metrics)


def metrics(args: argparse.Namespace) -> int:
    validate_project_id(args.project)
    today = datetime.now(UTC).date()
    first = (
        args.first
        or (
            (datetime.fromisoformat(args.last).date() if args.last else today)
            - timedelta(DEFAULT_DAYS - 1)
        ).isoformat()
    )
    window = Window.parse(first, args.last or today.isoformat())
    with parts().engine.connect() as conn:
        report = project_metrics(conn, args.project, window, by_day=args.by_day)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print(_tables(report))
    return 0


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
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
