"""What handlers may need beyond the transaction, given by the worker's composition root.

Stripe API look-ups never run inside an event's processing: a handler only asks for one (a
message on the `enrichment` queue, workers/enrichment.py) and applies what its event carries;
the look-up's result arrives later through the same rules. So a slow or unreachable Stripe API
slows no event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# (customer id, the asking event's `created`): read the Customer's metadata for its owner.
CustomerEnrichment = Callable[[str, int], None]
# (Checkout Session id, its PaymentIntent id, `created`): read the product of its line items.
SessionProductEnrichment = Callable[[str, str, int], None]


@dataclass(frozen=True)
class HandlerDeps:
    """Present when STRIPE_SECRET_KEY is set."""

    enrich_customer: CustomerEnrichment | None = None
    enrich_session_product: SessionProductEnrichment | None = None
