"""A real worker sends, a killed one's delivery is sent again, a slow endpoint delays no other."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import text

from shared.operations import endpoints
from tests.db.outgoing.receiver import receiver
from tests.e2e.outgoing.conftest import PROJECT, start_worker, subscription_change
from tests.support import processes
from workers.bootstrap import WorkerParts

T0 = 1_700_000_000
README = Path(__file__).resolve().parents[3] / "README.md"


def statuses(parts: WorkerParts) -> list[str]:
    with parts.engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT status FROM webhook_deliveries ORDER BY created_at")
            ).scalars()
        )


def test_the_readme_receiver_keeps_the_newest_entitlements_sent_by_a_real_worker(
    parts: WorkerParts, env: dict[str, str], tmp_path: Path
) -> None:
    block = README.read_text().split("<!-- webhook-receiver:", 1)[1]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    port = processes.free_port()
    url = f"http://127.0.0.1:{port}/billing-hook"
    endpoint = endpoints.add(parts.engine, PROJECT, url, allow_http=True)
    code = re.sub(r'Webhook\("whsec_[^"]*"\)', f'Webhook("{endpoint.secret}")', code)
    namespace: dict[str, object] = {}
    exec(compile(code, "README receiver", "exec"), namespace)  # noqa: S102 - the README's own code
    server = uvicorn.Server(uvicorn.Config(namespace["app"], port=port, log_level="warning"))  # type: ignore[arg-type]
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    worker = start_worker(env, tmp_path)
    try:
        processes.wait_until(lambda: server.started, timeout_s=10, what="the receiver to start")
        subscription_change(parts, "42", T0)
        subscription_change(parts, "42", T0 + 10, status="canceled")
        latest = namespace["latest"]
        processes.wait_until(
            lambda: statuses(parts) == ["delivered", "delivered"],
            timeout_s=90,  # a worker starts in seconds, or in 20 s on a loaded machine
            what="both messages delivered",
            process=worker,
        )
        assert latest == {(PROJECT, "42"): (latest[(PROJECT, "42")][0], {})}  # type: ignore[index]
    finally:
        worker.stop()
        server.should_exit = True
        serving.join(timeout=10)  # uvicorn closes its connections before the test ends


def test_a_worker_killed_while_sending_leaves_the_delivery_to_be_sent_again(
    parts: WorkerParts, env: dict[str, str], tmp_path: Path
) -> None:
    with receiver(("hang", 8), 200) as (url, script):
        endpoints.add(parts.engine, PROJECT, url, allow_http=True)
        worker = start_worker(env, tmp_path)
        subscription_change(parts, "7", T0)
        processes.wait_until(
            lambda: len(script.received) == 1,
            timeout_s=90,
            what="the first try to reach the receiver",
            process=worker,
        )
        os.killpg(worker.popen.pid, signal.SIGKILL)  # mid-send: the receiver is still hanging
        worker.popen.wait(timeout=10)
        (tmp_path / "after").mkdir()
        replacement = start_worker(env, tmp_path / "after")
        scheduler = processes.start_scheduler(env, tmp_path)
        try:
            processes.wait_until(
                lambda: statuses(parts) == ["delivered"],
                timeout_s=90,  # the killed try's lease (timeout + 30 s) must run out first
                what="the delivery to be sent again and delivered",
                process=replacement,
            )
        finally:
            replacement.stop()
            scheduler.stop()
    assert len(script.received) == 2
    assert script.received[0].headers["webhook-id"] == script.received[1].headers["webhook-id"]


def test_a_slow_endpoint_delays_neither_another_endpoint_nor_stripe_events(
    parts: WorkerParts, env: dict[str, str], tmp_path: Path
) -> None:
    with receiver(("hang", 6)) as (slow_url, slow), receiver(200) as (fast_url, fast):
        endpoints.add(parts.engine, PROJECT, slow_url, allow_http=True)
        endpoints.add(parts.engine, PROJECT, fast_url, allow_http=True)
        worker = start_worker(env, tmp_path, threads=4)
        try:
            subscription_change(parts, "warm-up", T0)  # timed from a worker that is running
            processes.wait_until(lambda: len(fast.received) == 1, timeout_s=90,
                                 what="the worker to start sending", process=worker)  # fmt: skip
            started = time.monotonic()
            for n in range(5):
                subscription_change(parts, f"u{n}", T0)
            processes.wait_until(
                lambda: len(fast.received) == 6,
                timeout_s=30,
                what="every message at the fast endpoint",
                process=worker,
            )
            assert time.monotonic() - started < 10  # the slow one hangs 6 s a try
        finally:
            worker.stop(grace_s=1)
