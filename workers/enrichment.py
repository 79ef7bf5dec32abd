"""Stripe API look-ups beside the event path: the owner in an unlinked customer's metadata, the
product of a Checkout Session without `product_id`. Each runs as its own message (queue
`enrichment`, Dramatiq's retries with backoff), and its result goes through the same rules as
an event's (dated by the event that asked, so the earliest owner still wins), in a unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
import structlog

from shared.records import PurchaseFacts
from shared.state.ownership import Attribution, attribute, is_linked, link_customer, owners_of
from shared.state.purchases import apply_purchase_facts
from shared.stripe_api import product_of_checkout_session
from shared.unit_of_work import UnitOfWork
from workers.payloads.customer import metadata_claim

log = structlog.get_logger("workers.enrichment")


@dataclass
class Enricher:
    uow: UnitOfWork
    client: stripe.StripeClient | None  # None: this worker has no key, the look-up is dropped

    def customer_owner(self, customer_id: str, created: int) -> None:
        """A Stripe failure raises: Dramatiq tries again later."""
        if self.client is None:
            log.warning("enrichment.no_stripe_key", customer_id=customer_id)
            return
        with self.uow.engine.connect() as conn:
            if is_linked(conn, customer_id):  # another event or look-up linked it meanwhile
                return
        customer = self.client.v1.customers.retrieve(customer_id).to_dict()
        claim = metadata_claim(customer.get("metadata") or None)
        if claim is None:  # its metadata names nobody: nothing to write
            log.info("enrichment.customer", customer_id=customer_id, linked=False)
            return
        with self.uow.begin() as work:
            owner = attribute(work.tx, claim, customer_id).owner
            work.touch(link_customer(work.tx, customer_id, owner, created))
        log.info("enrichment.customer", customer_id=customer_id, linked=owner is not None)

    def session_product(self, session_id: str, payment_intent_id: str, created: int) -> None:
        if self.client is None:
            log.warning("enrichment.no_stripe_key", session_id=session_id)
            return
        product_id = product_of_checkout_session(self.client, session_id)
        if product_id is None:
            return
        facts = PurchaseFacts(payment_intent_id, created, product_id=product_id)
        with self.uow.begin() as work:
            apply_purchase_facts(work.tx, facts, Attribution())
            work.touch(owners_of(work.tx, "purchases", payment_intent_id))
        log.info("enrichment.session_product", session_id=session_id, product_id=product_id)
