"""What handlers may need beyond the transaction, given by the worker's composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Checkout Session id -> product id of its first line item (a Stripe API call), when a key is set.
ProductLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class HandlerDeps:
    product_of_session: ProductLookup | None = None
