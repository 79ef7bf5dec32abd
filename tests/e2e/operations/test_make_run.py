"""`make run`: the Procfile's processes under honcho. SIGTERM to make stops every child (by PID)
and frees the port; a child that dies stops the rest and the exit code is non-zero."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import REPO_ROOT, free_port, parent_pids
from tests.support.stores import process_env

pytestmark = pytest.mark.e2e


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`."""
    parents = parent_pids()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "make-run.log"
    env = process_env(PORT=str(port), WORKER_PROCESSES="1", WORKER_THREADS="2")
    env.pop("STRIPE_WEBHOOK_SECRET")  # make run makes one up, and says so
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text()
        time.sleep(0.3)
    else:
        proc.kill()
        raise AssertionError("make run never ready:\n" + log.read_text()[-3000:])
    while len(_children(proc.pid)) < 6 and time.monotonic() < deadline:  # dramatiq forks late
        time.sleep(0.3)
    return proc, log


def _port_free(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/live", timeout=1)
    except httpx.HTTPError:
        return True
    return False


def test_sigterm_to_make_run_stops_every_child_and_frees_the_port(tmp_path):
    port = free_port()
    proc, log = _start(tmp_path, port)
    children = _children(proc.pid)
    assert "generated for this run" in log.read_text()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 15
    while any(map(_alive, children)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)], log.read_text()[-3000:]
    assert _port_free(port)


def test_a_child_that_dies_stops_the_others_and_make_run_fails(tmp_path):
    port = free_port()
    proc, log = _start(tmp_path, port)
    children = _children(proc.pid)
    scheduler = next(
        pid
        for pid in children
        if b"scheduler" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and b"billing" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"/bin/sh")
    )
    os.kill(scheduler, signal.SIGKILL)
    code = proc.wait(timeout=60)
    assert code != 0
    deadline = time.monotonic() + 15
    while any(map(_alive, children)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)], log.read_text()[-3000:]
    assert _port_free(port)
