"""Progress of long work (import, reconcile) beside its log lines.

On a terminal a rich progress line is redrawn in place and the log lines scroll above it (rich's
logging handler on the same console); off a terminal each update is a plain line on stdout and the
log lines stay JSON on stderr. With `--json`, stdout holds only the JSON document: the progress
goes to stderr when that is a terminal, and nowhere otherwise."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from shared.log_setup import configure_logging
from shared.settings import Settings


class ProgressView:
    """`show(line)` as often as there is news; a context manager around the work."""

    def __init__(self, as_json: bool, plain_lines: bool = True) -> None:
        """`plain_lines=False`: a spinner on a terminal only (one statement, no counts to show)."""
        self.plain = None if as_json or not plain_lines else sys.stdout
        stream = sys.stderr if as_json else sys.stdout
        self.screen = Console(file=stream, highlight=False) if stream.isatty() else None
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        if self.screen is not None:
            self.plain = None
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),
                TimeElapsedColumn(),
                console=self.screen,
                transient=as_json or not plain_lines,
            )

    def configure_logging(self, settings: Settings) -> None:
        """Log lines through rich on a terminal (above the progress line), JSON otherwise."""
        if not sys.stderr.isatty():
            configure_logging(settings.log_format, settings.log_level)
            return
        shares_screen = self.screen is not None and self.screen.file is sys.stdout
        console = self.screen if shares_screen else Console(file=sys.stderr)
        configure_logging(settings.log_format, settings.log_level, console=console)

    def show(self, line: str, redraw_now: bool = False) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=line, refresh=redraw_now)
        elif self.plain is not None:
            self.plain.write(line + "\n")
            self.plain.flush()

    def __enter__(self) -> ProgressView:
        if self.bar is not None:
            self.bar.start()
            self.task = self.bar.add_task("starting", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
