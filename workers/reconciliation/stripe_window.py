"""The only Stripe API calls of a run: everything in the window, listed to the last page.

Everything is fetched before anything is applied, so an API failure half-way leaves no record
half-written: the run ends with the error counted and the next run starts from scratch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

Json = dict[str, Any]
PAGE_SIZE = 100


@dataclass(frozen=True)
class StripeWindow:
    """What Stripe listed, and when each list was started (unix seconds): a correction is dated
    then, so an event processed since, which may be newer than the page, still wins."""

    events: list[Json]
    subscriptions: list[Json]
    payment_intents: list[Json]
    subscriptions_listed_at: int
    payment_intents_listed_at: int


def fetch_window(
    client: stripe.StripeClient, since: int, progress: Callable[[str, int], None]
) -> StripeWindow:
    """Events, subscriptions (any status) and PaymentIntents (with their latest charge) created
    since `since` (unix seconds); `progress(kind, count)` is told as pages arrive."""
    created: Any = {"gte": since}
    events = _all(
        client.v1.events.list({"created": created, "limit": PAGE_SIZE}), "events", progress
    )
    subscriptions_listed_at = int(time.time())
    subscriptions = _all(
        client.v1.subscriptions.list({"created": created, "status": "all", "limit": PAGE_SIZE}),
        "subscriptions",
        progress,
    )
    payment_intents_listed_at = int(time.time())
    payment_intents = _all(
        client.v1.payment_intents.list(
            {"created": created, "limit": PAGE_SIZE, "expand": ["data.latest_charge"]}
        ),
        "payment_intents",
        progress,
    )
    return StripeWindow(
        events, subscriptions, payment_intents, subscriptions_listed_at, payment_intents_listed_at
    )


def _all(first_page: Any, kind: str, progress: Callable[[str, int], None]) -> list[Json]:
    items: list[Json] = []
    for item in first_page.auto_paging_iter():
        items.append(item.to_dict(for_json=True))  # decimal_string fields as Stripe sends them
        if len(items) % PAGE_SIZE == 0:
            progress(kind, len(items))
    progress(kind, len(items))
    return items
