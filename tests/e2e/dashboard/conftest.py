"""One headless Chromium (Debian's, never a downloaded build) for the dashboard's browser tests,
and the service they drive: `billing serve` and `billing worker` with the fake Stripe API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.fakes.stripe_api import FakeStripe
from tests.support import processes
from tests.support.stores import process_env
from tests.support.stripe_account import fake_stripe_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = processes.REPO_ROOT / "tests" / "screenshots"  # kept out of git (.gitignore)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "the browser tests need Debian's Chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Service:
    base_url: str
    web: processes.ServiceProcess
    worker: processes.ServiceProcess


@pytest.fixture(scope="module")
def stripe_account() -> Iterator[FakeStripe]:
    """One fake Stripe API for the module's service (each test uses ids of its own)."""
    with FakeStripe() as fake:
        yield fake


@pytest.fixture(scope="module")
def service(
    stripe_account: FakeStripe, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """Web and worker on the test stores, reconciling against the fake Stripe API: started once
    for the module (the stores are still emptied before each test)."""
    env = process_env(**fake_stripe_env(stripe_account))
    log_dir = tmp_path_factory.mktemp("dashboard")
    worker = processes.start_worker(env, log_dir)  # first: it takes longest to be ready
    try:
        web, base_url = processes.start_web(env, log_dir)
    except BaseException:
        worker.stop()
        raise
    try:
        yield Service(base_url, web, worker)
    finally:
        worker.stop()
        web.stop()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
