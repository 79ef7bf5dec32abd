"""The owner a Customer's metadata names, when an event carries the Customer expanded."""

from __future__ import annotations

from typing import Any

from shared.records import ClaimedOwner
from workers.payloads.fields import claimed_owner


def expanded_customer_claim(event: dict[str, Any]) -> ClaimedOwner | None:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    customer = obj.get("customer") if isinstance(obj, dict) else None
    return claimed_owner(customer) if isinstance(customer, dict) else None


def metadata_claim(metadata: dict[str, Any] | None) -> ClaimedOwner | None:
    """The owner named by a Customer's metadata as the Stripe API returned it."""
    return claimed_owner({"metadata": metadata}) if metadata else None
