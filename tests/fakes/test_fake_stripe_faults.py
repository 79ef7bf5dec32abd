"""The fake refuses bad keys and fails, or stalls, on demand, the way Stripe can."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, cast

import pytest
import stripe

from tests import stripe_events as se
from tests.fakes.demo import seed_demo
from tests.fakes.stripe_api import FakeStripe

REPO = Path(__file__).resolve().parents[2]


def client_for(fake: FakeStripe, **options: Any) -> stripe.StripeClient:
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient(fake.api_key, base_addresses={"api": fake.base_url}, **options)


def _add_subs(fake: FakeStripe, n: int) -> None:
    for i in range(n):
        sub = se.subscription(
            f"sub_{i:03d}", customer="cus_1", status="active", products=["prod_a"],
            period_end=1_800_000_000, created=1_700_000_000 + i,
        )  # fmt: skip
        fake.add_subscription(sub)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_no_api_key_is_401_in_stripes_error_format(fake_stripe: FakeStripe) -> None:
    status, body = _get(f"{fake_stripe.base_url}/v1/subscriptions")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"]
    assert set(body["error"]) >= {"type", "message", "code"}


def test_wrong_api_key_is_an_authentication_error(fake_stripe: FakeStripe) -> None:
    client = stripe.StripeClient(
        "sk_test_wrong", base_addresses={"api": fake_stripe.base_url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.subscriptions.list()
    assert caught.value.http_status == 401


def test_unknown_url_is_404(fake_stripe: FakeStripe) -> None:
    headers = {"Authorization": f"Bearer {fake_stripe.api_key}"}
    status, body = _get(f"{fake_stripe.base_url}/v1/invoices", headers)
    assert status == 404 and "Unrecognized request URL" in body["error"]["message"]


def test_fail_next_answers_api_error_then_recovers(fake_stripe: FakeStripe) -> None:
    _add_subs(fake_stripe, 1)
    subscriptions = client_for(fake_stripe).v1.subscriptions
    fake_stripe.fail_next(1)
    with pytest.raises(stripe.APIError) as caught:
        subscriptions.list()
    assert caught.value.http_status == 500
    assert caught.value.error is not None and caught.value.error.type == "api_error"
    assert len(subscriptions.list().data) == 1


def test_the_clients_own_retry_absorbs_a_single_failure(fake_stripe: FakeStripe) -> None:
    _add_subs(fake_stripe, 1)
    fake_stripe.fail_next(1, status=503)
    client = client_for(fake_stripe, max_network_retries=1)
    assert len(client.v1.subscriptions.list().data) == 1
    assert len(fake_stripe.request_log) == 2


def test_fail_after_breaks_pagination_midway(fake_stripe: FakeStripe) -> None:
    _add_subs(fake_stripe, 30)
    fake_stripe.fail_after(2)
    seen: list[str] = []
    with pytest.raises(stripe.APIError):
        page = client_for(fake_stripe).v1.subscriptions.list(params={"limit": 10})
        seen.extend(s.id for s in page.auto_paging_iter())
    assert len(seen) == 20
    fake_stripe.clear_faults()
    assert len(client_for(fake_stripe).v1.subscriptions.list().data) == 10


def test_hang_next_trips_the_client_timeout(fake_stripe: FakeStripe) -> None:
    _add_subs(fake_stripe, 1)
    fake_stripe.hang_next(1, seconds=2.0)
    client = client_for(fake_stripe, http_client=stripe.RequestsClient(timeout=0.3))
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        client.v1.subscriptions.list()
    assert time.monotonic() - started < 1.5
    assert len(client.v1.subscriptions.list().data) == 1


def test_stop_does_not_wait_for_hanging_requests() -> None:
    fake = FakeStripe().start()
    fake.hang_next(1, seconds=30)
    client = client_for(fake, http_client=stripe.RequestsClient(timeout=0.2))
    with pytest.raises(stripe.APIConnectionError):
        client.v1.subscriptions.list()
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2


def test_demo_seed_is_reconcilable(fake_stripe: FakeStripe) -> None:
    seed_demo(fake_stripe)
    v1 = client_for(fake_stripe).v1
    assert len(v1.subscriptions.list(params={"status": "all"}).data) == 2
    (pi,) = v1.payment_intents.list(params={"expand": ["data.latest_charge"]}).data
    assert cast(stripe.Charge, pi.latest_charge).amount_refunded == 900
    assert len(v1.events.list().data) == 5


def test_module_runs_standalone_and_prints_its_base_url() -> None:
    cmd = [sys.executable, "-m", "tests.fakes.stripe_api", "--port", "0", "--seed-demo"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        base_url = lines[1].split(" at ")[1].split()[0]
        status, body = _get(
            f"{base_url}/v1/subscriptions", {"Authorization": "Bearer sk_test_fake"}
        )
        assert status == 200 and len(body["data"]) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
