"""The subscription revenue reads the owner and refund kept on each invoice's row by triggers
(migration 0013): whatever order the subscription, its customer's link, the invoice and the
refund arrive in, the invoice counts for the right project with the right refund."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Engine

from shared.metrics import queries
from shared.records import Owner
from shared.state.ownership import set_api_link
from tests import stripe_events as se
from tests.stripe_events import OTHER_PROJECT, PROJECT, T0, owner_metadata
from tests.support.state import create_project, deliver_all, rows
from workers.inbox import Inbox

Json = dict[str, Any]


def invoice_revenue(engine: Engine, project_id: str = PROJECT) -> dict[str, tuple[int, int, int]]:
    return {
        row["currency"]: (row["gross"], row["refunded"], row["n"])
        for row in rows(engine, queries.INVOICE_REVENUE.sql, p=project_id)
    }


def _events(owned_by_subscription: bool) -> list[Json]:
    """A paid invoice of sub_1 (customer cus_1), its payment, a partial refund and the
    subscription (naming its owner, or not: then the customer's link does, made by a payment
    that names the owner)."""
    metadata = owner_metadata("u1", PROJECT) if owned_by_subscription else {}
    events = [
        se.subscription_event(T0, "active", sub_id="sub_1", customer="cus_1", metadata=metadata),
        se.invoice_event(
            T0 + 1,
            invoice_id="in_1",
            sub_id="sub_1",
            customer="cus_1",
            amount=2000,
            payment_intent="pi_1",
            shape="old",
        ),  # fmt: skip
        se.payment_intent_event(
            T0 + 1, pi_id="pi_1", amount=2000, customer="cus_1", invoice="in_1", shape="old"
        ),
        se.refund_event(T0 + 2, 500, pi_id="pi_1", amount=2000, customer=None),
    ]
    if not owned_by_subscription:
        events.append(  # a one-time payment naming its owner links the customer
            se.payment_intent_event(
                T0, pi_id="pi_book", amount=900, customer="cus_1",
                metadata=owner_metadata("u1", PROJECT, product_id="prod_book"),
            )
        )  # fmt: skip
    return events


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_owner_and_refund_whatever_the_order(
    order: tuple[int, ...], inbox: Inbox, clean_db: Engine, project: str
) -> None:
    events = _events(owned_by_subscription=True)
    deliver_all(inbox, clean_db, [events[i] for i in order])
    assert invoice_revenue(clean_db) == {"usd": (2000, 500, 1)}


@pytest.mark.parametrize("link_first", [True, False])
def test_owner_through_the_customers_link_in_either_order(
    link_first: bool, inbox: Inbox, clean_db: Engine, project: str
) -> None:
    *objects, link = _events(owned_by_subscription=False)
    deliver_all(inbox, clean_db, [link, *objects] if link_first else [*objects, link])
    assert invoice_revenue(clean_db) == {"usd": (2000, 500, 1)}


def test_an_apps_link_moves_the_invoice_and_a_later_refund_follows(
    inbox: Inbox, clean_db: Engine, project: str
) -> None:
    create_project(clean_db, OTHER_PROJECT)
    *objects, link = _events(owned_by_subscription=False)
    deliver_all(inbox, clean_db, [*objects[:3], link])
    with clean_db.begin() as tx:
        set_api_link(tx, "cus_1", Owner(OTHER_PROJECT, "u9"))
    assert invoice_revenue(clean_db) == {}
    assert invoice_revenue(clean_db, OTHER_PROJECT) == {"usd": (2000, 0, 1)}
    deliver_all(inbox, clean_db, [objects[3]])
    assert invoice_revenue(clean_db, OTHER_PROJECT) == {"usd": (2000, 500, 1)}
    with clean_db.begin() as tx:
        set_api_link(tx, "cus_1", None)
    assert invoice_revenue(clean_db) == {"usd": (2000, 500, 1)}
