"""What the commands print: rich tables whose columns stay aligned however long a name, and one
JSON document for `--json`. Off a terminal a table is never wrapped, so scripts can split it."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

UNWRAPPED_WIDTH = 10_000  # off a terminal: one line a row, however long its cells


def print_json(document: Any, sort_keys: bool = False) -> None:
    print(json.dumps(document, indent=2, sort_keys=sort_keys, default=str))


def print_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[str] = ()
) -> None:
    """Columns as wide as their longest cell; `right` names the columns aligned to the right."""
    print(render_table(header, rows, right), end="")


def render_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[str] = ()
) -> str:
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 0))
    for name in header:
        table.add_column(name, justify="right" if name in right else "left", no_wrap=not _tty())
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return _render(table)


def _render(renderable: Any) -> str:
    """Rendered into a string first: no trailing blanks, and stdout stays the one stream."""
    tty = _tty()
    buffer = io.StringIO()
    width = shutil.get_terminal_size().columns if tty else UNWRAPPED_WIDTH
    console = Console(
        file=buffer, width=width, force_terminal=tty, no_color=not tty, highlight=False
    )
    console.print(renderable, markup=False)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _tty() -> bool:
    return sys.stdout.isatty()
