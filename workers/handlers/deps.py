"""What handlers may need beyond the transaction, given by the worker's composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Stripe API look-ups, present when a key is set:
# Checkout Session id -> product id of its first line item;
ProductLookup = Callable[[str], str | None]
# Customer id -> the Customer's metadata (None when it cannot be had).
CustomerMetadataLookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class HandlerDeps:
    product_of_session: ProductLookup | None = None
    customer_metadata: CustomerMetadataLookup | None = None
