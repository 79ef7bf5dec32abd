"""What `make bench` leaves behind: the summary on the terminal, RESULTS.md (the machine, the
commands, every figure and ratio, a line per target) and scale.png (the scale curves, drawn by
matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from statistics import mean

from tests.bench.results import Scale, Section


def print_summary(sections: list[Section]) -> None:
    for section in sections:
        print(f"\n== {section.part}. {section.title}")
        width = max((len(s.label) for s in section.series + section.ratios), default=0) + 2
        for series in section.series + section.ratios:
            print(f"{series.label:<{width}} {series.show()}")
        for note in section.notes:
            print(note)
    print("\n== Targets")
    for section in sections:
        for target in section.targets:
            print(f"- {target.line()}")


def write_results(
    path: Path,
    machine: dict[str, str],
    commands: list[str],
    sections: list[Section],
    scales: list[Scale],
    rounds: int,
    quick: bool,
    chart: str,
) -> None:
    lines = ["# `make bench` results", ""]
    if quick:
        lines += ["**Quick run (`--quick`): small sizes, for checking the bench, not for the "
                  "targets.**", ""]  # fmt: skip
    lines += [
        f"Medians of {rounds} round{'s' if rounds > 1 else ''} with [min–max]; in every round "
        "each product run is followed by its reference, so both meet the same machine. The "
        "figures compare changes on one machine: nothing in the test suite asserts on them.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in machine.items()),
        "",
        "## Commands",
        "",
        *(f"    {command}" for command in commands),
        "",
        "## Targets",
        "",
        *(f"- {t.line()}" for s in sections for t in s.targets),
        "",
    ]
    for section in sections:
        lines += [f"## {section.part}. {section.title}", "", section.about, ""]
        lines += [f"Runs: {', '.join(f'`{c}`' for c in section.commands)}.", ""]
        lines += ["| figure | median [min–max] |", "| --- | --- |"]
        lines += [f"| {s.label} | {s.show()} |" for s in section.series + section.ratios]
        lines += [""] + [f"{note}\n" for note in section.notes]
    lines += _scale_table(scales) + [f"![scale curves]({chart})", ""]
    path.write_text("\n".join(lines))


def _scale_table(scales: list[Scale]) -> list[str]:
    lines = [
        "## Scale",
        "",
        "| curve | processes | rate | RSS of a process after its run, MB: mean (min–max) |",
        "| --- | --- | --- | --- |",
    ]
    for scale in scales:
        for point in scale.points:
            rss = "n/a"
            if point.rss_mb:
                rss = f"{mean(point.rss_mb):.0f} ({min(point.rss_mb):.0f}–{max(point.rss_mb):.0f})"
            lines.append(f"| {scale.title} | {point.processes} | {point.rate.show()} | {rss} |")
    return [*lines, ""]


def draw_scale(path: Path, scales: list[Scale]) -> None:
    """One panel per curve: the median rate against the processes, min–max as error bars, the
    mean RSS of a process written by each point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, max(len(scales), 1), figsize=(6 * max(len(scales), 1), 4.5))
    for ax, scale in zip(figure.axes, scales, strict=False):
        points = [p for p in scale.points if p.rate.values]
        x = [p.processes for p in points]
        y = [p.rate.median for p in points]
        low = [p.rate.median - min(p.rate.values) for p in points]
        high = [max(p.rate.values) - p.rate.median for p in points]
        ax.errorbar(x, y, yerr=[low, high], marker="o", capsize=4)
        for p, value in zip(points, y, strict=True):
            if p.rss_mb:
                ax.annotate(f"{mean(p.rss_mb):.0f} MB/process", (p.processes, value),
                            textcoords="offset points", xytext=(6, -14), fontsize=8)  # fmt: skip
        ax.set_title(scale.title, fontsize=10)
        ax.set_xlabel("processes")
        ax.set_ylabel(scale.unit)
        ax.set_xticks(x)
        ax.set_xlim(0.5, max(x, default=1) + 1)  # room for the last point's label
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
