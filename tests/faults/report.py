"""The one-line-per-scenario table, on the terminal and as Markdown."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

from tests.faults.scenarios import Config, Result

HEADER = (
    "scenario",
    "events",
    "lost",
    "applied twice",
    "users wrong",
    "recovery s",
    "5xx answers",
    "result",
)


def row(result: Result) -> tuple[str, ...]:
    o = result.outcome
    events = result.events_label or str(o.events)
    recovery = "-" if result.recovery_s is None else f"{result.recovery_s:.1f}"
    if result.recovery_limit_s is not None and result.recovery_s is not None:
        recovery += f" (< {result.recovery_limit_s:.0f})"
    if result.recovery_detail:
        recovery += f"; {result.recovery_detail}"
    na = result.events_label == "-"
    return (
        result.name,
        events,
        "-" if na else str(o.lost),
        "-" if na else str(o.applied_twice),
        "-" if na else str(o.users_wrong),
        recovery,
        "-" if na else str(o.five_xx),
        "PASS" if result.ok else "FAIL",
    )


def table(results: list[Result]) -> str:
    rows = [HEADER, *(row(r) for r in results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def details(result: Result) -> str:
    lines = [f"{' | '.join(row(result))}   ({result.duration_s:.0f} s)"]
    lines += [f"    note: {n}" for n in result.outcome.notes]
    lines += [f"    FAIL: {f}" for f in result.outcome.failures]
    return "\n".join(lines)


def markdown(results: list[Result], total_s: float, short: bool, config: Config) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Fault suite: last run",
        "",
        f"`python -m tests.faults{' --short' if short else ''}` on {when}, a "
        f"{os.cpu_count()}-core {platform.machine()} machine (load average "
        f"{os.getloadavg()[1]:.1f} over the last 5 minutes at the end); {config.users} users "
        f"per world, seed {config.seed}; {total_s:.0f} s in all.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join("---" for _ in HEADER) + " |",
    ]
    lines += ["| " + " | ".join(row(r)) + " |" for r in results]
    lines += ["", "## Details", ""]
    for result in results:
        lines.append(f"- **{result.name}** ({result.duration_s:.0f} s)")
        lines += [f"  - {n}" for n in result.outcome.notes]
        lines += [f"  - FAIL: {f.splitlines()[0][:400]}" for f in result.outcome.failures]
    return "\n".join(lines) + "\n"
