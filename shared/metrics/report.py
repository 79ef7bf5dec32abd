"""Rows of shared/metrics/queries.py → the JSON the contract names (sections 4 and 10), and
the window of a movements query. Pure: both the read API and `billing metrics` call these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.refusals import Refused
from shared.statuses import ENTITLING_SUBSCRIPTION_STATUSES

Row = Mapping[str, Any]
MAX_WINDOW_DAYS = 366


class BadWindow(Refused):
    """`from`/`to` missing, not dates, reversed or too far apart; the message says which."""


@dataclass(frozen=True)
class Window:
    first_day: date
    last_day: date  # inclusive

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> Window:
        if not first or not last:
            raise BadWindow("from and to are required, as YYYY-MM-DD")
        try:
            window = cls(date.fromisoformat(first), date.fromisoformat(last))
        except ValueError:
            raise BadWindow("from and to must be dates as YYYY-MM-DD") from None
        if len(first) != 10 or len(last) != 10:
            raise BadWindow("from and to must be dates as YYYY-MM-DD")
        days = (window.last_day - window.first_day).days + 1
        if days < 1:
            raise BadWindow("to must not be before from")
        if days > MAX_WINDOW_DAYS:
            raise BadWindow(f"the window is {days} days; at most {MAX_WINDOW_DAYS}")
        return window

    @property
    def params(self) -> dict[str, int]:
        """[start, end) in unix seconds: UTC midnight of `from`, and of the day after `to`."""
        return {"start": _midnight(self.first_day), "end": _midnight(self.last_day + timedelta(1))}


def _midnight(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def subscriptions_json(project_id: str, rows: Iterable[Row]) -> dict[str, Any]:
    by_status = {row["status"]: row["n"] for row in rows}
    active = sum(n for status, n in by_status.items() if status in ENTITLING_SUBSCRIPTION_STATUSES)
    return {"project_id": project_id, "active_subscriptions": active, "by_status": by_status}


def revenue_json(
    project_id: str, purchases: Iterable[Row], invoices: Iterable[Row]
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "currencies": _money(purchases, "purchases"),
        "subscriptions": _money(invoices, "invoices"),
    }


def _money(rows: Iterable[Row], count_name: str) -> dict[str, dict[str, int]]:
    return {
        (row["currency"] or "unknown"): {
            "gross": row["gross"],
            "refunded": row["refunded"],
            "net": row["gross"] - row["refunded"],
            count_name: row["n"],
        }
        for row in rows
    }


def mrr_json(project_id: str, rows: Iterable[Row]) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "currencies": {
            (row["currency"] or "unknown"): {
                "mrr": row["mrr"],
                "arr": 12 * row["mrr"],
                "paying_subscriptions": row["paying"],
                "not_counted": row["not_counted"],
            }
            for row in rows
        },
    }


MOVEMENT_COUNTS = ("active_at_start", "new", "churned", "reactivated", "active_at_end")
MOVEMENT_MONEY = ("new_mrr", "churned_mrr", "expansion_mrr", "contraction_mrr")


def movements_json(project_id: str, window: Window, rows: Iterable[Row]) -> dict[str, Any]:
    """`rows`: queries.MOVEMENTS, its total row and one row a currency."""
    rows = list(rows)
    total = next((row for row in rows if row["total"]), None)
    subscriptions = {name: total[name] if total else 0 for name in MOVEMENT_COUNTS}
    start = subscriptions["active_at_start"]
    return {
        "project_id": project_id,
        "from": window.first_day.isoformat(),
        "to": window.last_day.isoformat(),
        "subscriptions": subscriptions,
        "churn_rate": round(subscriptions["churned"] / start, 4) if start else None,
        "currencies": {
            (row["currency"] or "unknown"): {name: row[name] for name in MOVEMENT_MONEY}
            for row in rows
            if not row["total"]
        },
    }


def by_day_json(
    project_id: str, window: Window, mrr_rows: Iterable[Row], revenue_rows: Iterable[Row]
) -> dict[str, Any]:
    """MRR at each day's end and gross revenue of each day, per currency, every day of the
    window listed (0 on a day without any): `{"mrr": {"usd": [[day, n], …]}, "revenue": …}`."""
    days = [
        (window.first_day + timedelta(n)).isoformat()
        for n in range((window.last_day - window.first_day).days + 1)
    ]
    return {
        "project_id": project_id,
        "from": window.first_day.isoformat(),
        "to": window.last_day.isoformat(),
        "mrr": _series(days, mrr_rows, "mrr"),
        "revenue": _series(days, revenue_rows, "gross"),
    }


def _series(days: list[str], rows: Iterable[Row], value: str) -> dict[str, list[list[Any]]]:
    by_currency: dict[str, dict[str, int]] = {}
    for row in rows:
        currency = row["currency"] or "unknown"
        by_currency.setdefault(currency, {})[row["day"].isoformat()] = int(row[value])
    return {
        currency: [[day, values.get(day, 0)] for day in days]
        for currency, values in sorted(by_currency.items())
    }
