"""`billing customers resync`: one customer's link, subscriptions and PaymentIntents fetched from
Stripe and corrected at once, for the support desk's "I paid but I have no access"."""

from __future__ import annotations

import time
from typing import Any

import structlog

from shared.state.ownership import attribute, link_customer
from workers.payloads.fields import claimed_owner
from workers.reconciliation.runner import Reconciler
from workers.reconciliation.stripe_window import PAGE_SIZE

log = structlog.get_logger("workers.resync")


def resync_customer(reconciler: Reconciler, customer_id: str) -> dict[str, Any]:
    """Everything is fetched before anything is applied, as in a reconciliation run; each
    correction is its own unit of work. Raises stripe's errors (unknown customer: 404)."""
    client = reconciler.client
    listed_at = int(time.time())
    customer = client.v1.customers.retrieve(customer_id).to_dict(for_json=True)
    subscriptions = [
        sub.to_dict(for_json=True)
        for sub in client.v1.subscriptions.list(
            {"customer": customer_id, "limit": PAGE_SIZE, "status": "all"}
        ).auto_paging_iter()
    ]
    payment_intents = [
        pi.to_dict(for_json=True)
        for pi in client.v1.payment_intents.list(
            {"customer": customer_id, "limit": PAGE_SIZE, "expand": ["data.latest_charge"]}
        ).auto_paging_iter()
    ]
    with reconciler.uow.begin() as work:  # the customer's own metadata may name its owner
        owner = attribute(work.tx, claimed_owner(customer), customer_id).owner
        work.touch(link_customer(work.tx, customer_id, owner, listed_at))
    counters = reconciler.correct(subscriptions, payment_intents, listed_at)
    log.info("customer.resynced", customer_id=customer_id, corrected=counters.corrected)
    return {
        "customer_id": customer_id,
        "subscriptions_checked": counters.subscriptions_checked,
        "purchases_checked": counters.purchases_checked,
        "corrected": counters.corrected,
    }
