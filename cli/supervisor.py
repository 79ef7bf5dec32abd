"""Run a few child processes as one: signals reach all of them, and when one ends the rest are
stopped, so an orchestrator that restarts the parent restarts the whole set."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Sequence
from types import FrameType

FORWARDED = (signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_S = 30.0


def supervise(commands: Sequence[Sequence[str]], env: dict[str, str] | None = None) -> int:
    """Start every command; return the exit code of the first to end, once all have ended."""
    children = [subprocess.Popen(list(command), env=env) for command in commands]

    def forward(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    def wait_for_children(signum: int, frame: FrameType | None) -> None:
        """Ctrl-C reached the children too (one process group): let them stop themselves."""

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, wait_for_children)
    try:
        while (code := _first_exit(children)) is None:
            time.sleep(0.2)
        _stop(children)
        return code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _first_exit(children: list[subprocess.Popen[bytes]]) -> int | None:
    for child in children:
        if (code := child.poll()) is not None:
            return code
    return None


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
