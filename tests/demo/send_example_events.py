"""Post an example sequence of signed Stripe events to a running service and show what changes.

    python -m tests.demo.send_example_events --url http://127.0.0.1:8000 \\
        --secret whsec_… --project acme --user 42 --api-key <app key> [--admin-token …]

The story of one user: a subscription bought through Checkout, its first invoice paid, then a
one-time lifetime purchase refunded in two steps. Events are built from Stripe's own example
objects (tests/stripe_events/), signed like Stripe signs them, and posted in order. After each
one the script waits until the service has handled it (through the admin API when a token is
given, else until the read API's answer changes, for a few seconds) and prints the user's
entitlements and the project's metrics.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import stripe

from tests import stripe_events as se

MONTH_S = 30 * 86_400
PRICE_MINOR = 2000
LIFETIME_MINOR = 4900
WAIT_S = 10.0
PRO_PRODUCT = "prod_demo_pro"  # fixed, so that `billing products map` can name them
LIFETIME_PRODUCT = "prod_demo_lifetime"
CHANGE_WAIT_S = 3.0


def story(project: str, user: str, tag: str, now: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what happens, event) in the order Stripe would send them; ids other than the products
    carry `tag`, so that each run is a new customer of the same user."""
    customer, sub, pi = (f"{p}_demo_{tag}" for p in ("cus", "sub", "pi"))
    pro, lifetime = PRO_PRODUCT, LIFETIME_PRODUCT
    yield (
        "checkout completed: the customer is linked to the user",
        se.checkout_session_event(
            now, mode="subscription", session_id=f"cs_demo_{tag}", customer=customer,
            subscription=sub, metadata={"project_id": project}, client_reference_id=user,
            amount=PRICE_MINOR,
        ),
    )  # fmt: skip
    yield (
        f"subscription created, active: grants {pro}",
        se.subscription_event(
            now + 1, event_type=se.SUBSCRIPTION_CREATED, sub_id=sub, customer=customer,
            products=(pro,), period_end=now + MONTH_S,
        ),
    )  # fmt: skip
    yield (
        "first invoice paid (records the payment; status comes from the subscription)",
        se.invoice_event(
            now + 2, invoice_id=f"in_demo_{tag}", sub_id=sub, customer=customer, amount=PRICE_MINOR
        ),
    )
    owner = {"project_id": project, "user_id": user, "product_id": lifetime}
    yield (
        f"one-time payment succeeded: lifetime {lifetime}",
        se.payment_intent_event(
            now + 3, pi_id=pi, amount=LIFETIME_MINOR, customer=customer, metadata=owner
        ),
    )
    for step, refunded in enumerate((1000, LIFETIME_MINOR), start=4):
        what = "partly refunded: kept" if refunded < LIFETIME_MINOR else "fully refunded: revoked"
        yield (
            f"{what} ({refunded} of {LIFETIME_MINOR})",
            se.refund_event(
                now + step, refunded, pi_id=pi, amount=LIFETIME_MINOR, customer=customer
            ),
        )


def post_signed(client: httpx.Client, secret: str, event: dict[str, Any]) -> httpx.Response:
    body = se.to_body(event)
    signature = stripe.WebhookSignature.generate_signature_header(body, secret)
    return client.post(
        "/api/v1/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def wait_handled(client: httpx.Client, admin_token: str, event_id: str) -> str:
    """The event's status once a worker has handled it, read from the admin API."""
    deadline = time.monotonic() + WAIT_S
    while True:
        response = client.get(
            f"/api/v1/admin/webhook-events/{event_id}",
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        status = response.json().get("status") if response.status_code == 200 else None
        if status not in (None, "received"):
            return str(status)
        if time.monotonic() > deadline:
            return f"still {status or 'unknown'} after {WAIT_S}s: is a worker running?"
        time.sleep(0.1)


def wait_changed(read: Any, before: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Without an admin token: poll the read API until its answer changes (some events change
    nothing visible, so this gives up quietly after CHANGE_WAIT_S)."""
    deadline = time.monotonic() + CHANGE_WAIT_S
    while (after := read()) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    return ("changed" if after != before else "nothing visible changed"), after


def read_api(client: httpx.Client, api_key: str, project: str, user: str) -> dict[str, Any]:
    """The user's entitlements and the project's metrics, as the apps see them."""
    answers = {}
    for label, path in (
        ("entitlements", f"/api/v1/entitlements/project/{project}/user/{user}"),
        ("subscriptions", f"/api/v1/metrics/project/{project}/subscriptions"),
        ("revenue", f"/api/v1/metrics/project/{project}/revenue"),
    ):
        body = client.get(path, headers={"X-API-Key": api_key}).json()
        hidden = ("project_id", "user_id")
        answers[label] = body.get("error") or {k: v for k, v in body.items() if k not in hidden}
    return answers


def show(answers: dict[str, Any]) -> None:
    for label, answer in answers.items():
        print(f"    {label:<13} {json.dumps(answer)}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the service's base URL")
    parser.add_argument("--secret", required=True, help="a STRIPE_WEBHOOK_SECRET of the service")
    parser.add_argument("--project", required=True, help="an existing project id")
    parser.add_argument("--user", required=True, help="the end user's id in your app")
    parser.add_argument("--api-key", required=True, help="an app key of the project")
    parser.add_argument("--admin-token", help="ADMIN_API_KEY, to wait for each event exactly")
    parser.add_argument("--tag", default=secrets.token_hex(3), help="suffix of the object ids")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with httpx.Client(base_url=args.url, timeout=10) as client:

        def read() -> dict[str, Any]:
            return read_api(client, args.api_key, args.project, args.user)

        print(f"user {args.user} of project {args.project}, before anything:")
        show(answers := read())
        for number, (what, event) in enumerate(
            story(args.project, args.user, args.tag, int(time.time())), start=1
        ):
            response = post_signed(client, args.secret, event)
            print(f"\n{number}. {event['type']}: {what}")
            print(f"    webhook       {response.status_code} {response.text}")
            if response.status_code != 200:
                return 1
            if args.admin_token:
                print(f"    handled       {wait_handled(client, args.admin_token, event['id'])}")
                answers = read()
            else:
                outcome, answers = wait_changed(read, answers)
                print(f"    read API      {outcome}")
            show(answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
