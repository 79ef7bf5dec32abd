"""localstripe's own signed webhooks drive a running service; the read API follows.

What localstripe sends (and so what this test can show): `customer.subscription.created`
already `active`, `customer.subscription.deleted`, `invoice.*` and `payment_intent.*` events in
the 2017 API shape (items with `plan`, no `price`), each once, never retried; never
`customer.subscription.updated` nor `charge.*` (so no refund here).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests import stripe_events as se
from tests.e2e.localstripe.conftest import Service
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e

PROJECT = "localstripe-e2e"
USER = "user-42"
OWNER = {"metadata[project_id]": PROJECT, "metadata[user_id]": USER}
CARD = {
    "card[number]": "4242424242424242",
    "card[exp_month]": "12",
    "card[exp_year]": "2030",
    "card[cvc]": "123",
}
DEADLINE_S = 20


def _create(stripe: httpx.Client, path: str, **form: str) -> dict[str, Any]:
    response = stripe.post(path, data=form)
    assert response.status_code == 200, f"localstripe POST {path}: {response.text}"
    return response.json()


class ReadApi:
    """The read API as an app with its key sees it (a connection per request: none left open)."""

    def __init__(self, service: Service, api_key: str) -> None:
        self.service, self.headers = service, {"X-API-Key": api_key}

    def get(self, path: str) -> dict[str, Any]:
        response = httpx.get(f"{self.service.base_url}{path}", headers=self.headers, timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def entitlements(self) -> dict[str, Any]:
        return self.get(f"/api/v1/entitlements/project/{PROJECT}/user/{USER}")["entitlements"]

    def wait_for_entitlements(self, what: str, condition: Any) -> dict[str, Any]:
        def met() -> tuple[dict[str, Any]] | None:
            current = self.entitlements()
            return (current,) if condition(current) else None  # an empty map is an answer too

        return wait_until(met, DEADLINE_S, what, 0.2, self.service.worker)[0]


def _events(service: Service) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{service.base_url}/api/v1/admin/webhook-events",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {service.env['ADMIN_API_KEY']}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_localstripe_subscription_and_payment_intent_drive_entitlements(
    localstripe: httpx.Client, service: Service, webhook_secret: str
) -> None:
    service.billing("projects", "create", PROJECT)
    api_key = service.billing("apps", "create", "--project", PROJECT).strip().splitlines()[-1]
    webhook_url = f"{service.base_url}/api/v1/webhooks/stripe"
    configured = localstripe.post(
        "/_config/webhooks/billing", data={"url": webhook_url, "secret": webhook_secret}
    )
    assert configured.status_code == 200, configured.text
    api = ReadApi(service, api_key)

    # A plan-based subscription, paid at once with the customer's card: active from creation.
    product = _create(localstripe, "/v1/products", name="Pro")["id"]
    plan = _create(
        localstripe, "/v1/plans", product=product, amount="2000", currency="usd", interval="month"
    )["id"]
    token = _create(localstripe, "/v1/tokens", **CARD)["id"]
    customer = _create(localstripe, "/v1/customers", email="u42@example.com", source=token, **OWNER)
    sub = _create(
        localstripe,
        "/v1/subscriptions",
        customer=customer["id"],
        **{"items[0][plan]": plan},
        **OWNER,
    )
    assert sub["status"] == "active"

    granted = api.wait_for_entitlements("the plan's product to be granted", lambda e: product in e)
    assert granted[product] == {
        "source": "subscription",
        "source_id": sub["id"],
        "product_id": product,
        "expires_at": se.iso(sub["current_period_end"]),
    }

    # Deleting the subscription takes the entitlement away.
    deleted = localstripe.delete(f"/v1/subscriptions/{sub['id']}")
    assert deleted.status_code == 200, deleted.text
    api.wait_for_entitlements("the plan's product to be withdrawn", lambda e: product not in e)
    subscriptions = api.get(f"/api/v1/metrics/project/{PROJECT}/subscriptions")
    assert subscriptions["active_subscriptions"] == 0
    assert subscriptions["by_status"] == {"canceled": 1}

    # A one-time PaymentIntent naming its owner and product: a lifetime purchase.
    lifetime = _create(localstripe, "/v1/products", name="Lifetime")["id"]
    service.billing(
        "products", "map", "--project", PROJECT, "--product", lifetime, "--entitlement", "lifetime"
    )
    card = _create(localstripe, "/v1/payment_methods", type="card", **CARD)["id"]
    intent = _create(
        localstripe,
        "/v1/payment_intents",
        amount="4900",
        currency="usd",
        customer=customer["id"],
        payment_method=card,
        **{**OWNER, "metadata[product_id]": lifetime},
    )
    confirmed = _create(localstripe, f"/v1/payment_intents/{intent['id']}/confirm")
    assert confirmed["status"] == "succeeded"

    granted = api.wait_for_entitlements("the lifetime purchase", lambda e: "lifetime" in e)
    assert granted == {
        "lifetime": {
            "source": "purchase",
            "source_id": intent["id"],
            "product_id": lifetime,
            "expires_at": None,
        }
    }
    revenue = api.get(f"/api/v1/metrics/project/{PROJECT}/revenue")
    # The subscription's invoice payment is not a purchase; only the one-time payment counts.
    assert revenue["currencies"] == {
        "usd": {"gross": 4900, "refunded": 0, "net": 4900, "purchases": 1}
    }

    # Every event localstripe sent was stored and handled; none failed.
    handled = {
        "customer.subscription.created",
        "customer.subscription.deleted",
        "invoice.payment_succeeded",
        "payment_intent.succeeded",
    }

    def all_stored() -> list[dict[str, Any]] | None:
        events = _events(service)
        return events if handled <= {e["type"] for e in events} else None

    events = wait_until(all_stored, DEADLINE_S, "localstripe's events to be stored", 0.2)
    assert [e for e in events if e["status"] == "failed"] == []
    assert {e["status"] for e in events if e["type"] in handled} == {"processed"}
