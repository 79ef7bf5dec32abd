"""Outgoing webhooks end to end: a real `billing worker` sends, real receivers answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from shared import tenants
from shared.db import webhook_events
from shared.settings import load_settings
from tests import stripe_events as se
from tests.support import processes
from tests.support.stores import process_env
from workers.bootstrap import WorkerParts, build_worker_parts

PROJECT = "acme"
FAST = {
    "WEBHOOK_ENDPOINTS_ALLOW_HTTP": "true",
    "WEBHOOK_RETRY_DELAYS": "1,1,1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
}


@pytest.fixture
def env() -> dict[str, str]:
    return process_env(**FAST)


@pytest.fixture
def parts(env: dict[str, str], clean_db: Engine) -> Iterator[WorkerParts]:
    """This process's side of the service: it applies events and queues deliveries."""
    built = build_worker_parts(load_settings(env))
    with built.engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
    yield built
    built.engine.dispose()


def start_worker(env: dict[str, str], log_dir: Path, threads: int = 4) -> processes.ServiceProcess:
    argv = [*processes.BILLING, "worker", "--processes", "1", "--threads", str(threads)]
    return processes.start_process("worker", argv, env, log_dir)


def subscription_change(parts: WorkerParts, user: str, created: int, status: str = "active",
                        product: str = "prod_pro") -> None:  # fmt: skip
    """Apply a subscription event of `user` in this process; its deliveries go to the queue."""
    sub = se.subscription(
        f"sub_{user}", customer=f"cus_{user}", status=status, products=[product],
        period_end=2_000_000_000, metadata={"project_id": PROJECT, "user_id": user},
    )  # fmt: skip
    event: dict[str, Any] = se.event("customer.subscription.updated", sub, created=created)
    with parts.engine.begin() as tx:
        webhook_events.insert_if_new(tx, webhook_events.event_row(event))
    assert parts.inbox.process(event["id"]) == "processed"
