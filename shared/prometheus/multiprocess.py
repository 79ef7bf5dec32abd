"""Counting across forked processes: `billing serve --workers N` and `billing worker` run several
processes, each writing its counts to files of one directory (prometheus_client's multiprocess
mode), and a scrape adds them up. Every parent counts into a directory of its own, named by its
pid, emptied at start; the directories of parents no longer alive are removed then too (a parent
killed, or ended by a signal, cannot remove its own)."""

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
    base = Path(tempfile.gettempdir())
    prefix = f"billing-{purpose}-metrics-"
    for stale in base.glob(f"{prefix}*"):
        pid = stale.name.removeprefix(prefix)
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    path = base / f"{prefix}{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)  # a pid used again (pid 1 in a container)
    path.mkdir(mode=0o700)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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
