"""The service's real processes (`.venv/bin/billing serve|worker|scheduler`), each in its own
process group with its output in its own log file, and the CLI commands a scenario needs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.faults.stores import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
BILLING = str(REPO_ROOT / ".venv" / "bin" / "billing")

# Cleared from the inherited environment: a developer's shell must not leak into the processes.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "STRIPE_WEBHOOK_TOLERANCE",
    "ADMIN_API_KEY",
    "RECONCILIATION_ENABLED",
    "RECONCILIATION_SCHEDULE_HOUR",
    "RECONCILIATION_DAYS_BACK",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "STRIPE_MODE",
    "METRICS_TOKEN",
    "WORKER_METRICS_PORT",
    "WEBHOOK_ENDPOINTS_ALLOW_HTTP",
    "WEBHOOK_RETRY_DELAYS",
    "WEBHOOK_TIMEOUT_SECONDS",
    "STRIPE_API_RATE",
    "EVENT_MAX_RETRIES",
    "EVENT_MIN_BACKOFF_MS",
    "EVENT_MAX_BACKOFF_MS",
    "RELAY_AFTER_SECONDS",
    "PORT",
    "TEST_DATABASE_URL",
    "TEST_REDIS_URL",
)


def service_env(**values: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    return {**base, **values}


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float  # time.monotonic()
    killed_at: float | None = None
    processes: int = 1

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole process group (Dramatiq's forked workers too)."""
        self.killed_at = time.monotonic()
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self, grace_s: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace_s)
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class Services:
    """The processes of one scenario; every start gets a log file of its own."""

    env: dict[str, str]
    log_dir: Path
    procs: list[Proc] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    web_url: str = ""

    def _start(self, name: str, argv: list[str], **env: str) -> Proc:
        n = self.counts.get(name, 0) + 1
        self.counts[name] = n
        log_path = self.log_dir / f"{name}-{n}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                argv,
                env={**self.env, **env},
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        proc = Proc(f"{name}-{n}", popen, log_path, time.monotonic())
        self.procs.append(proc)
        return proc

    def start_web(self, timeout_s: float = 30.0) -> Proc:
        port = free_port()
        proc = self._start("web", [BILLING, "serve", "--host", "127.0.0.1", "--port", str(port)])
        self.web_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.web_url}/health", timeout=1).status_code == 200:
                    return proc
            if not proc.alive():
                raise RuntimeError(f"billing serve exited at start:\n{proc.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"billing serve did not answer /health:\n{proc.log_tail()}")
            time.sleep(0.1)

    def start_worker(self, processes: int = 2, threads: int = 4) -> Proc:
        argv = [BILLING, "worker", "--processes", str(processes), "--threads", str(threads)]
        # each its own metrics port: several workers may run at once
        proc = self._start("worker", argv, WORKER_METRICS_PORT=str(free_port()))
        proc.processes = processes + 1  # and the Stripe look-up (enrichment) process
        return proc

    def start_scheduler(self) -> Proc:
        return self._start("scheduler", [BILLING, "scheduler"])

    def wait_ready(self, proc: Proc, marker: str, count: int = 1, timeout_s: float = 60.0) -> float:
        """Wait until `marker` appears `count` times in the process's log (Dramatiq's "Worker
        process is ready for action." once per worker process); returns the monotonic time."""
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.log_path.read_text(errors="replace").count(marker) >= count:
                return time.monotonic()
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited at start:\n{proc.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{proc.name} not ready after {timeout_s} s:\n{proc.log_tail()}")
            time.sleep(0.1)

    def running(self, name: str) -> list[Proc]:
        return [p for p in self.procs if p.name.startswith(name + "-") and p.alive()]

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def crashed(self) -> list[Proc]:
        """Processes that exited on their own (not killed or stopped by the suite)."""
        return [p for p in self.procs if not p.alive() and p.killed_at is None]


def run_cli(
    env: dict[str, str],
    log_dir: Path,
    *args: str,
    timeout: float = 120,
    stdout_is_secret: bool = False,
) -> str:
    """A `billing` command to completion; returns its stdout. Its stderr (log lines) goes to a
    log file of the scenario, and its stdout too unless it is meant to show a secret (`apps
    create` prints the new key, on purpose)."""
    done = subprocess.run(
        [BILLING, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    with (log_dir / "cli.log").open("a") as log:
        log.write(f"$ billing {' '.join(args)}  (exit {done.returncode})\n")
        log.write(done.stderr)
        if not stdout_is_secret:
            log.write(done.stdout)
    if done.returncode != 0:
        raise RuntimeError(f"billing {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout
