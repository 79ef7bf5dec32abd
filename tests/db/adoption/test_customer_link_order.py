"""An app's links and unlinks, shuffled among the customer's Stripe events and their duplicates,
always end in the same state: the one the last API call says."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text

from shared import tenants
from shared.db import webhook_events
from shared.operations import customer_links
from tests import stripe_events as se
from tests.support.stores import truncate_all_tables
from workers.bootstrap import WorkerParts

T0 = 1_700_000_000
CUSTOMER = "cus_P1"
META_USER = "from-metadata"


def customer_events() -> list[dict[str, Any]]:
    """Metadata links the customer to META_USER; the subscription names nobody."""
    session = se.checkout_session(
        "cs_P1",
        mode="subscription",
        customer=CUSTOMER,
        metadata={"project_id": "acme", "user_id": META_USER},
    )
    return [
        se.event("checkout.session.completed", session, created=T0),
        se.event(
            "customer.subscription.created",
            se.subscription(
                "sub_P1",
                customer=CUSTOMER,
                products=["prod_pro"],
                status="incomplete",
                period_end=T0 + 100,
            ),
            created=T0 + 1,
        ),
        se.event(
            "customer.subscription.updated",
            se.subscription(
                "sub_P1",
                customer=CUSTOMER,
                products=["prod_pro"],
                status="active",
                period_end=T0 + 2_000,
            ),
            created=T0 + 2,
        ),
    ]


API_CALL = st.one_of(st.sampled_from(["u1", "u2"]).map(lambda u: ("link", u)), st.just(("unlink",)))


@st.composite
def interleavings(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """The events (some twice) in any order, the API calls in theirs, merged at random."""
    events = customer_events()
    deliveries = events + draw(st.lists(st.sampled_from(events), max_size=3))
    deliveries = draw(st.permutations(deliveries))
    calls = draw(st.lists(API_CALL, min_size=1, max_size=3))
    merged: list[tuple[Any, ...]] = [("event", e) for e in deliveries]
    for call in calls:  # each call after the previous one, anywhere among the events
        last = max((i for i, step in enumerate(merged) if step[0] != "event"), default=-1)
        merged.insert(draw(st.integers(last + 1, len(merged))), call)
    return merged


def entitlements(conn: Connection) -> dict[str, tuple[str, ...]]:
    rows = conn.execute(
        text("SELECT user_id, entitlement_key, source_id FROM entitlements ORDER BY 1, 2")
    )
    found: dict[str, tuple[str, ...]] = {}
    for row in rows:
        found[row.user_id] = (*found.get(row.user_id, ()), f"{row.entitlement_key}@{row.source_id}")
    return found


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=interleavings())
def test_links_and_unlinks_among_shuffled_duplicated_events_end_as_the_last_call_says(
    parts: WorkerParts, steps: list[tuple[Any, ...]]
) -> None:
    truncate_all_tables(parts.engine)
    with parts.engine.begin() as tx:
        tenants.create_project(tx, "acme", None)
    for step in steps:
        if step[0] == "event":
            with parts.engine.begin() as tx:
                webhook_events.insert_if_new(tx, webhook_events.event_row(step[1]))
            parts.inbox.process(step[1]["id"])
        elif step[0] == "link":
            customer_links.link(parts.uow, "acme", CUSTOMER, step[1])
        else:
            customer_links.unlink(parts.uow, "acme", CUSTOMER)

    last_call = [step for step in steps if step[0] != "event"][-1]
    owner = last_call[1] if last_call[0] == "link" else META_USER
    with parts.engine.connect() as conn:
        assert entitlements(conn) == {owner: ("prod_pro@sub_P1",)}
