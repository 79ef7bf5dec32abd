"""Real service processes for the end-to-end tier: started in their own process group,
waited for by polling, and killed with the whole group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
BILLING = [sys.executable, "-m", "cli.main"]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def parent_pids() -> dict[int, int]:
    """pid → parent pid of every live process, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


@dataclass
class ServiceProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL whatever is left after `grace_s`."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace_s)
        _signal_group(self.popen.pid, signal.SIGKILL)  # dramatiq's forked children too
        if self.popen.poll() is None:
            self.popen.wait(timeout=5)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def start_process(
    name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path
) -> ServiceProcess:
    log_path = log_dir / f"{name}.log"
    log_file = log_path.open("wb")
    popen = subprocess.Popen(
        list(argv),
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log_file.close()
    return ServiceProcess(name, popen, log_path)


def wait_until(
    condition: Callable[[], T | None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.05,
    process: ServiceProcess | None = None,
) -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what`
    at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if process is not None and not process.alive():
            raise AssertionError(
                f"{process.name} exited while waiting for {what}:\n{process.log_tail()}"
            )
        if time.monotonic() > deadline:
            tail = f"\n{process.name} log:\n{process.log_tail()}" if process else ""
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}{tail}")
        time.sleep(interval_s)


def start_web(
    env: dict[str, str], log_dir: Path, timeout_s: float = 30.0
) -> tuple[ServiceProcess, str]:
    """`billing serve` on a free loopback port; returns once /health answers 200."""
    port = free_port()
    proc = start_process(
        "web", [*BILLING, "serve", "--host", "127.0.0.1", "--port", str(port)], env, log_dir
    )
    base_url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base_url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout_s, "GET /health of billing serve", 0.1, proc)
    except BaseException:
        proc.stop()
        raise
    return proc, base_url


def start_worker(env: dict[str, str], log_dir: Path, module: str | None = None) -> ServiceProcess:
    """`billing worker --processes 1 --threads 2`, or dramatiq on a test composition root."""
    if module is None:
        argv = [*BILLING, "worker", "--processes", "1", "--threads", "2"]
    else:
        argv = [
            sys.executable, "-m", "dramatiq", module, "--queues", "events",
            "--processes", "1", "--threads", "2", "--skip-logging", "--path", str(REPO_ROOT),
        ]  # fmt: skip
    return start_process("worker", argv, env, log_dir)


def start_scheduler(env: dict[str, str], log_dir: Path) -> ServiceProcess:
    """`billing scheduler`: sends the relay message at once, then every 30 s."""
    return start_process("scheduler", [*BILLING, "scheduler"], env, log_dir)
