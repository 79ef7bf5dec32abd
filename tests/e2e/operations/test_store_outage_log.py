"""A Redis outage is one `store_unavailable` line and one `store_available` line per process,
from the real `billing worker` and `billing scheduler`, however long Redis stays away."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.faults.stores import PrivateRedis
from tests.support import processes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

# Longer than Dramatiq's consumer restart delay (3 s) and the probes' period (2 s), so the
# old behaviour (two lines per queue every 3 s, one per job every second) would show.
OUTAGE_S = 4
# Lines that used to repeat through an outage.
REPEATED = ("Consumer encountered a connection error", "Restarting consumer", "send_failed")


def _entries(proc: processes.ServiceProcess) -> list[dict]:
    lines = proc.log_tail(1_000_000).splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _redis_states(proc: processes.ServiceProcess) -> list[str]:
    return [
        entry["event"]
        for entry in _entries(proc)
        if entry.get("store") == "redis" and entry["event"].startswith("store_")
    ]


def _wait_for_states(procs, states: list[str], what: str) -> None:
    for proc in procs:

        def reached(proc: processes.ServiceProcess = proc) -> bool:
            return _redis_states(proc) == states

        processes.wait_until(reached, 60, f"{proc.name}: {what}", 0.2, proc)


@pytest.fixture
def private_redis(tmp_path: Path):
    server = PrivateRedis(tmp_path, tmp_path)
    server.start()
    yield server
    server.shutdown()


def test_a_redis_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    private_redis: PrivateRedis, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "REDIS_URL": private_redis.url}
    worker_argv = [*processes.BILLING, "worker", "--processes", "1", "--threads", "2",
                   "--enrichment-threads", "0"]  # fmt: skip
    worker = processes.start_process("worker", worker_argv, env, tmp_path)
    scheduler = processes.start_scheduler(env, tmp_path)
    both = (worker, scheduler)
    try:
        _wait_for_states(both, ["store_available"], "Redis checked at start")
        private_redis.stop()
        _wait_for_states(both, ["store_available", "store_unavailable"], "the outage noticed")
        time.sleep(OUTAGE_S)
        private_redis.start()
        _wait_for_states(
            both, ["store_available", "store_unavailable", "store_available"], "Redis back"
        )
        time.sleep(2.1)  # a further probe finds nothing new to say
    finally:
        worker.stop()
        scheduler.stop()
    for proc in both:
        assert _redis_states(proc) == ["store_available", "store_unavailable", "store_available"]
        entries = _entries(proc)
        postgres = [e["event"] for e in entries if e.get("store") == "postgresql"]
        assert postgres == ["store_available"], proc.name
        log = proc.log_tail(1_000_000)
        assert not [marker for marker in REPEATED if marker in log], log[-3000:]
        back = next(e for e in reversed(entries) if e["event"] == "store_available")
        assert back["down_for_s"] >= OUTAGE_S
