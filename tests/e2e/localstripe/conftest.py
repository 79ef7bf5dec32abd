"""localstripe (an independent Stripe fake) posting its own signed webhooks to the running service.

localstripe keeps its whole state in one fixed file of the temp directory, so only one instance
may run at a time on this machine: a lock file beside that state serializes every test (and any
other suite that takes the same lock) that starts one.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import processes
from tests.support.signing import SECRET_A

LOCALSTRIPE = Path(sys.executable).with_name("localstripe")
LOCALSTRIPE_LOCK = Path(tempfile.gettempdir()) / "localstripe.pickle.lock"
STRIPE_KEY = "sk_test_12345"
LOCK_WAIT_S = 120


@dataclass(frozen=True)
class Service:
    base_url: str
    env: dict[str, str]
    web: processes.ServiceProcess
    worker: processes.ServiceProcess

    def billing(self, *args: str) -> str:
        """Run a `billing` operator command against the service's stores; its stdout."""
        done = subprocess.run(
            [*processes.BILLING, *args],
            env=self.env,
            cwd=processes.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"billing {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout


@pytest.fixture
def localstripe(tmp_path: Path) -> Iterator[httpx.Client]:
    """A fresh localstripe on a free port; yields a client of its API, authenticated."""
    with LOCALSTRIPE_LOCK.open("w") as lock:
        processes.wait_until(
            lambda: _try_lock(lock), LOCK_WAIT_S, f"the localstripe lock {LOCALSTRIPE_LOCK}", 0.2
        )
        port = processes.free_port()
        proc = processes.start_process(
            "localstripe",
            [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"],
            dict(os.environ),
            tmp_path,
        )
        base_url = f"http://127.0.0.1:{port}"
        client = httpx.Client(base_url=base_url, auth=(STRIPE_KEY, ""), timeout=10)
        try:
            processes.wait_until(lambda: _answers(client), 30, "localstripe to answer", 0.1, proc)
            yield client
        finally:
            client.close()
            proc.stop()


def _try_lock(lock_file: object) -> bool:
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
    except BlockingIOError:
        return False
    return True


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/v1/customers").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def service(
    clean_db: object, clean_redis: object, env: dict[str, str], tmp_path: Path
) -> Iterator[Service]:
    """`billing serve` on a free loopback port and `billing worker --processes 1 --threads 2`."""
    web, base_url = processes.start_web(env, tmp_path)
    try:
        worker = processes.start_worker(env, tmp_path)
    except BaseException:
        web.stop()
        raise
    try:
        yield Service(base_url=base_url, env=env, web=web, worker=worker)
    finally:
        worker.stop()
        web.stop()


@pytest.fixture
def webhook_secret() -> str:
    """One of the secrets the service's STRIPE_WEBHOOK_SECRET lists (tests/support/stores.py)."""
    return SECRET_A
