"""Before gathered asks are sent, those for customers already linked are dropped: the look-up
would find the link and ask Stripe nothing."""

from __future__ import annotations

from sqlalchemy import Engine

from shared.queue import ENRICH_CUSTOMER_ACTOR, ENRICH_SESSION_ACTOR
from shared.records import Owner
from shared.state.ownership import set_api_link
from tests import stripe_events as se
from tests.stripe_events import T0, owner_metadata
from tests.support.state import deliver
from workers.enrichment_offers import still_needed
from workers.inbox import Inbox


def test_asks_for_linked_customers_are_dropped_and_the_rest_kept(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    sub = se.subscription("sub_1", customer="cus_linked", status="active", products=["prod_1"],
                          period_end=1_900_000_000, metadata=owner_metadata("u-1"))  # fmt: skip
    assert (
        deliver(inbox, clean_db, se.event("customer.subscription.created", sub, created=T0))
        == "processed"
    )

    open_sub = se.subscription("sub_2", customer="cus_open", status="active",
                               products=["prod_1"], period_end=1_900_000_000)  # fmt: skip
    assert deliver(inbox, clean_db, se.event("customer.subscription.created", open_sub,
                                             created=T0)) == "processed"  # fmt: skip
    with clean_db.begin() as tx:
        set_api_link(tx, "cus_app", Owner(project, "u-app"))  # an app's link counts too

    asks: list[tuple[object, ...]] = [
        (customer, T0) for customer in ("cus_linked", "cus_open", "cus_app", "cus_unseen")
    ]
    assert still_needed(clean_db, ENRICH_CUSTOMER_ACTOR, asks) == [
        ("cus_open", T0),
        ("cus_unseen", T0),
    ]
    sessions: list[tuple[object, ...]] = [("cs_1", "pi_1", T0)]
    assert still_needed(clean_db, ENRICH_SESSION_ACTOR, sessions) == sessions
