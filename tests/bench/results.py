"""What a bench part hands to the report: measured series (one value a round, shown as the
median with [min–max]), the ratios of paired runs, and the issue's targets, met or not."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100): always a value that was measured; of 20 values the
    99th is the largest."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def number(value: float) -> str:
    """1,234 from 100 up and for whole numbers, 1 decimal from 10, else 2 (milliseconds,
    ratios)."""
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


@dataclass
class Series:
    """One figure measured once a round."""

    label: str
    unit: str
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> float:
        self.values.append(value)
        return value

    @property
    def median(self) -> float:
        return median(self.values) if self.values else math.nan

    def show(self) -> str:
        if not self.values:
            return "n/a"
        shown = number(self.median)
        if len(self.values) > 1:
            shown += f" [{number(min(self.values))}–{number(max(self.values))}]"
        return f"{shown} {self.unit}"


def ratio(label: str, numerator: Series, denominator: Series) -> Series:
    """The ratio of two series measured in the same rounds, round by round."""
    return Series(
        label, "×", [n / d for n, d in zip(numerator.values, denominator.values, strict=False) if d]
    )


@dataclass
class Target:
    """A line of the issue: what is asked, what was measured, met or not."""

    asked: str
    measured: str
    met: bool

    def line(self) -> str:
        return f"{self.asked}: {self.measured}: {'met' if self.met else 'NOT met'}"


@dataclass
class Section:
    """One part of the bench, as printed and as written to RESULTS.md."""

    title: str
    about: str  # what was measured and how, a paragraph
    part: str = ""  # its number in the issue
    commands: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    ratios: list[Series] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, unit: str) -> Series:
        series = Series(label, unit)
        self.series.append(series)
        return series


@dataclass
class ScalePoint:
    """A process count's rate over the rounds and the resident memory of its processes."""

    processes: int
    rate: Series
    rss_mb: list[float] = field(default_factory=list)  # every pool process, every round


@dataclass
class Scale:
    """A curve of scale.png: rate against the number of processes."""

    title: str
    unit: str
    points: list[ScalePoint] = field(default_factory=list)
