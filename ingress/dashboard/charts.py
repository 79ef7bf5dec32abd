"""The geometry of the dashboard's charts, drawn as inline SVG by the templates: pure, so no
chart library and no script. Every chart also comes with its numbers as a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 200
LEFT = 48  # room for the y axis' labels
BOTTOM = 20  # room for the x axis' labels
TOP = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    key: str
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class StackedBars:
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[tuple[float, str]]  # (x, text) under some bars
    width: int = WIDTH
    height: int = HEIGHT


@dataclass(frozen=True)
class Line:
    points: str  # the SVG polyline's "x,y x,y …"
    ticks: list[Tick]
    labels: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT


def nice_max(value: int) -> int:
    """The axis' top: the value rounded up to 1, 2 or 5 times a power of ten (at least 1)."""
    if value <= 1:
        return 1
    magnitude = int(10 ** (len(str(value)) - 1))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    raise AssertionError("unreachable")  # pragma: no cover


def _ticks(top: int) -> list[Tick]:
    plot = HEIGHT - BOTTOM - TOP
    parts = (0, 1, 2) if top % 2 == 0 else (0, 2)  # a middle line only at a whole number
    return [Tick(y=TOP + plot - plot * part / 2, value=top * part // 2) for part in parts]


def _every(count: int, wanted: int = 6) -> int:
    return max(1, -(-count // wanted))


def stacked_bars(
    columns: Sequence[tuple[str, Mapping[str, int]]], keys: Sequence[str]
) -> StackedBars:
    """One bar per column, its `keys` stacked bottom up in that order."""
    top = nice_max(max((sum(values.values()) for _, values in columns), default=0))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(columns), 1)
    bars, labels = [], []
    for index, (label, values) in enumerate(columns):
        x, base = LEFT + index * slot, float(HEIGHT - BOTTOM)
        for key in keys:
            value = values.get(key, 0)
            if value:
                height = plot_h * value / top
                base -= height
                bars.append(Bar(x + slot * 0.1, base, slot * 0.8, height, key, label, value))
        if index % _every(len(columns)) == 0:
            labels.append((x + slot / 2, label))
    return StackedBars(bars, _ticks(top), labels)


def line(points: Sequence[tuple[str, int]]) -> Line:
    """A line through the values, left to right."""
    top = nice_max(max((value for _, value in points), default=0))
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(points) - 1, 1)
    coords, labels = [], []
    for index, (label, value) in enumerate(points):
        x, y = LEFT + index * step, TOP + plot_h - plot_h * value / top
        coords.append(f"{x:.1f},{y:.1f}")
        if index % _every(len(points)) == 0:
            labels.append((x, label))
    return Line(" ".join(coords), _ticks(top), labels)
