"""The dashboard's chart geometry and the metrics by day behind it: pure."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ingress.dashboard import charts
from shared.metrics.report import Window, by_day_json


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (12, 20), (100, 100), (101, 200)]
)
def test_the_axis_top_is_a_round_number_at_least_the_value(value: int, top: int) -> None:
    assert charts.nice_max(value) == top


def test_stacked_bars_stack_the_keys_in_order_and_scale_to_the_top() -> None:
    chart = charts.stacked_bars(
        [("00:00", {"processed": 6, "failed": 4}), ("01:00", {}), ("02:00", {"failed": 5})],
        ["processed", "failed"],
    )
    first, second, third = chart.bars
    assert [(bar.label, bar.key, bar.value) for bar in chart.bars] == [
        ("00:00", "processed", 6),
        ("00:00", "failed", 4),
        ("02:00", "failed", 5),
    ]
    floor = charts.HEIGHT - charts.BOTTOM
    plot = floor - charts.TOP
    assert first.y + first.height == pytest.approx(floor)
    assert second.y + second.height == pytest.approx(first.y)  # on top of the first
    assert first.height + second.height == pytest.approx(plot)  # 10 of a top of 10
    assert third.height == pytest.approx(plot / 2)
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]


def test_a_line_runs_left_to_right_from_the_first_value_to_the_last() -> None:
    chart = charts.line([("11-01", 0), ("11-02", 50), ("11-03", 100)])
    points = [tuple(map(float, point.split(","))) for point in chart.points.split()]
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert points[0][1] == pytest.approx(charts.HEIGHT - charts.BOTTOM)
    assert points[-1][1] == pytest.approx(charts.TOP)
    assert chart.labels[0] == (points[0][0], "11-01")


def test_charts_without_data_have_an_axis_and_no_bar() -> None:
    assert charts.stacked_bars([], ["failed"]).bars == []
    assert charts.line([]).points == ""
    assert [tick.value for tick in charts.line([("11-01", 0)]).ticks] == [0, 1]
    assert [tick.value for tick in charts.line([("11-01", 4)]).ticks] == [0, 5]


def test_metrics_by_day_list_every_day_of_the_window_per_currency() -> None:
    window = Window(date(2026, 11, 1), date(2026, 11, 3))
    mrr = [{"day": date(2026, 11, 2), "currency": "usd", "mrr": 2000, "paying": 1}]
    revenue: list[dict[str, Any]] = [
        {"day": date(2026, 11, 1), "currency": "eur", "gross": 900},
        {"day": date(2026, 11, 3), "currency": None, "gross": 5},
    ]
    assert by_day_json("acme", window, mrr, revenue) == {
        "project_id": "acme",
        "from": "2026-11-01",
        "to": "2026-11-03",
        "mrr": {"usd": [["2026-11-01", 0], ["2026-11-02", 2000], ["2026-11-03", 0]]},
        "revenue": {
            "eur": [["2026-11-01", 900], ["2026-11-02", 0], ["2026-11-03", 0]],
            "unknown": [["2026-11-01", 0], ["2026-11-02", 0], ["2026-11-03", 5]],
        },
    }
