"""Counting across forked processes: `billing serve --workers N` and `billing worker` run several
processes, each writing its counts to files of one directory (prometheus_client's multiprocess
mode), and a scrape adds them up. Every parent makes a fresh directory and removes it at exit, so
neither a restart nor another service on the host mixes its counts in."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Read by prometheus_client when it is first imported: set before, and inherited by children.
MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Where Dramatiq's Prometheus middleware writes (read when dramatiq.middleware.prometheus loads).
DRAMATIQ_DIR_VARIABLE = "dramatiq_prom_db"


@contextmanager
def fresh_metrics_directory(purpose: str) -> Iterator[Path]:
    """An empty directory for this run's processes, removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix=f"billing-{purpose}-metrics-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def multiprocess_environment(directory: Path) -> dict[str, str]:
    """The variables that make a child process count into `directory`."""
    return {MULTIPROC_DIR_VARIABLE: str(directory), DRAMATIQ_DIR_VARIABLE: str(directory)}


def current_directory() -> str | None:
    """The directory this process counts into, if it runs in multiprocess mode."""
    return os.environ.get(MULTIPROC_DIR_VARIABLE) or None


def count_into(directory: Path) -> None:
    """This process, and the children it starts from now on, count into `directory`.

    prometheus_client picks how values are kept when first imported (perhaps already, by an
    import of the CLI): it is asked again, which is safe while no metric holds a value yet."""
    os.environ.update(multiprocess_environment(directory))
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
