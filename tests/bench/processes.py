"""The processes a bench starts: each in a session of its own with its output in a log file,
ready when its log says so (or its port answers), stopped by its own process group, and its
resident memory read from /proc (VmRSS) while it still runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.environment import REPO
from tests.support.processes import parent_pids

UVICORN_READY = "Application startup complete."
DRAMATIQ_READY = "Worker process is ready for action."


@dataclass
class Service:
    """A started process tree and its log."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, chars: int = 3000) -> str:
        return self.output()[-chars:]

    def wait_for_log(self, line: str, count: int, timeout_s: float = 60) -> None:
        """Until `line` appears `count` times (one per process of a pool)."""
        deadline = time.monotonic() + timeout_s
        while self.output().count(line) < count:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout_s} s:\n{self.tail()}")
            time.sleep(0.05)

    def wait_for_port(self, port: int, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} does not listen:\n{self.tail()}") from None
                time.sleep(0.05)

    def rss_mb(self) -> list[tuple[str, float]]:
        """(role, MB) of every process of the tree: the first is the one started."""
        return [(role, rss_kb(pid) / 1024) for pid, role in process_tree(self.proc.pid)]

    def stop(self, timeout_s: float = 30) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout_s)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        finally:
            self.log.unlink(missing_ok=True)


def start(name: str, argv: list[str], env: dict[str, str]) -> Service:
    fd, path = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    return Service(name, proc, Path(path))


def process_tree(root: int) -> list[tuple[int, str]]:
    """(pid, role) of `root` and its descendants, root first. A role is `pool` for a process
    of a pool (a uvicorn worker, a Dramatiq worker process: forked or spawned by its main),
    `enrichment` for the Stripe look-up pool, else `main` (a supervisor, a pool's main) or
    `resource_tracker`."""
    parents = parent_pids()
    tree, frontier = [(root, "main")], [root]
    while frontier:
        parent = frontier.pop(0)
        for pid, ppid in sorted(parents.items()):
            if ppid == parent:
                tree.append((pid, _role(_cmdline(pid), _cmdline(parent))))
                frontier.append(pid)
    return tree


def pool_rss_mb(tree: list[tuple[str, float]]) -> list[float]:
    """The RSS of the pool's processes; of the root alone when it has no pool (one process)."""
    return [mb for role, mb in tree if role == "pool"] or [tree[0][1]]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _role(cmdline: str, parent_cmdline: str) -> str:
    if "resource_tracker" in cmdline:
        return "resource_tracker"
    if cmdline == parent_cmdline:  # forked by a pool's main
        return "enrichment" if "--queues enrichment" in cmdline else "pool"
    return "pool" if "multiprocessing.spawn" in cmdline else "main"


def rss_kb(pid: int) -> int:
    """VmRSS of a running process, 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
