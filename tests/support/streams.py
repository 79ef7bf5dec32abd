"""Hypothesis strategies for realistic Stripe event streams of several users.

A stream is the events of subscription and purchase journeys, interleaved, with `created`
increasing per object. Two events of one object share a `created` only where CONTRACT section 3
names the winner (a later lifecycle state, a success over a failure), so in-order processing
defines one right answer, kept in `expected_*` as the model's own prediction.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from shared.statuses import SUBSCRIPTION_STATUS_RANK
from tests import stripe_events as se
from tests.stripe_events import PROJECT, T0

MONTH_S = 30 * 86_400
GHOST_PROJECT = "ghost"  # named by some users' metadata; never created
OWNERSHIPS = ("metadata", "session", "client_reference", "ghost")
Json = dict[str, Any]


@dataclass(frozen=True)
class User:
    index: int
    shape: str
    ownership: str

    @property
    def user_id(self) -> str:
        return f"user{self.index}"

    @property
    def customer(self) -> str:
        return f"cus_u{self.index}"

    @property
    def project_id(self) -> str:
        return GHOST_PROJECT if self.ownership == "ghost" else PROJECT

    def owner(self, **extra: str) -> dict[str, str]:
        return {"project_id": self.project_id, "user_id": self.user_id, **extra}

    def session_owner(self, **extra: str) -> tuple[dict[str, str], str | None]:
        """Metadata and client_reference_id of this user's Checkout Sessions."""
        if self.ownership == "client_reference":
            return {"project_id": self.project_id, **extra}, self.user_id
        return self.owner(**extra), None


@dataclass
class Planned:
    """One event to be, built once its `created` is known."""

    object_key: str
    build: Callable[[int], Json]
    tie_allowed: bool = False  # may share `created` with the previous event of its object


@dataclass
class Stream:
    events: list[Json]
    expected_subscriptions: dict[str, tuple[str, bool]] = field(default_factory=dict)
    expected_purchases: dict[str, tuple[str, int]] = field(default_factory=dict)
    users: list[User] = field(default_factory=list)


# --- subscriptions -----------------------------------------------------------------------------

ACTIONS: dict[str, tuple[str, ...]] = {
    "incomplete": ("activate", "expire", "delete"),
    "trialing": ("trial_ends", "cancel_at_period_end", "delete"),
    "active": ("renew", "fail", "cancel_at_period_end", "delete"),
    "past_due": ("recover", "unpaid", "delete"),
    "unpaid": ("recover", "delete"),
}


@st.composite
def subscription_journey(draw: st.DrawFn, user: User, expected: dict[str, Any]) -> list[Planned]:
    sub_id = f"sub_u{user.index}"
    products = draw(st.sampled_from([("prod_pro",), ("prod_pro", "prod_addon"), ("prod_team",)]))
    status = draw(st.sampled_from(["incomplete", "trialing", "active"]))
    period_end = T0 + MONTH_S + draw(st.integers(0, 86_400))
    cancel = False
    invoices = 0
    steps: list[Planned] = []
    metadata = user.owner() if user.ownership in ("metadata", "ghost") else {}

    if user.ownership in ("session", "client_reference"):
        session_metadata, reference = user.session_owner()

        def session(created: int) -> Json:
            return se.checkout_session_event(
                created,
                mode="subscription",
                session_id=f"cs_sub_u{user.index}",
                customer=user.customer,
                subscription=sub_id,
                metadata=session_metadata,
                client_reference_id=reference,
                amount=2000,
                shape=user.shape,
            )

        steps.append(Planned(f"cs:{sub_id}", session))

    def snapshot(event_type: str, previous: str | None) -> None:
        snap_status, snap_end, snap_cancel = status, period_end, cancel  # as of this step

        def build(created: int) -> Json:
            return se.subscription_event(
                created,
                snap_status,
                event_type=event_type,
                sub_id=sub_id,
                customer=user.customer,
                products=products,
                period_end=snap_end,
                metadata=metadata,
                cancel_at_period_end=snap_cancel,
                shape=user.shape,
            )

        deleted = event_type.endswith("deleted")
        rises = previous is not None and (
            SUBSCRIPTION_STATUS_RANK[status] > SUBSCRIPTION_STATUS_RANK[previous]
        )
        steps.append(Planned(f"sub:{sub_id}", build, tie_allowed=deleted or rises))

    def invoice(paid: bool, number: int) -> None:
        invoice_id, pi_id = f"in_u{user.index}_{number}", f"pi_in_u{user.index}_{number}"

        def payment(created: int) -> Json:
            return se.payment_intent_event(
                created,
                paid,
                pi_id=pi_id,
                amount=2000,
                customer=user.customer,
                invoice=invoice_id,  # only the old shapes carry it
                shape=user.shape,
            )

        def invoice_event(created: int) -> Json:
            return se.invoice_event(
                created,
                paid,
                invoice_id=invoice_id,
                sub_id=sub_id,
                customer=user.customer,
                payment_intent=pi_id,
                shape=user.shape,
            )

        steps.append(Planned(f"pi:{pi_id}", payment, tie_allowed=paid))
        steps.append(Planned(f"in:{invoice_id}", invoice_event))

    snapshot("customer.subscription.created", None)
    for _ in range(draw(st.integers(0, 6))):
        if status not in ACTIONS:
            break
        action = draw(st.sampled_from(ACTIONS[status]))
        previous = status
        if action == "cancel_at_period_end" and cancel:
            continue
        if action in ("renew", "recover", "activate", "trial_ends"):
            if action != "recover":
                invoices += 1
            invoice(True, max(invoices, 1))
            status = "active"
            if action in ("renew", "trial_ends"):
                period_end += MONTH_S
            snapshot("customer.subscription.updated", previous)
        elif action == "fail":
            invoices += 1
            invoice(False, invoices)
            status = "past_due"
            snapshot("customer.subscription.updated", previous)
        elif action in ("unpaid", "expire"):
            status = "unpaid" if action == "unpaid" else "incomplete_expired"
            snapshot("customer.subscription.updated", previous)
        elif action == "cancel_at_period_end":
            cancel = True
            snapshot("customer.subscription.updated", previous)
        elif action == "delete":
            status = "canceled"
            snapshot("customer.subscription.deleted", previous)
    expected[sub_id] = (status, status == "canceled")
    return steps


# --- one-time purchases ------------------------------------------------------------------------

PURCHASE_KINDS = ("buy", "refund_partial", "refund_full_in_two_steps", "fail_then_pay")


@st.composite
def purchase_journey(
    draw: st.DrawFn, user: User, number: int, expected: dict[str, Any]
) -> list[Planned]:
    kind = draw(st.sampled_from(PURCHASE_KINDS))
    amount = draw(st.integers(500, 9_999))
    currency = draw(st.sampled_from(["usd", "eur"]))
    product = draw(st.sampled_from(["prod_pro", "prod_book", "prod_course"]))
    pi_id, session_id = f"pi_u{user.index}_{number}", f"cs_u{user.index}_{number}"
    direct = draw(st.booleans())  # a PaymentIntent naming its owner, without Checkout
    pi_metadata = user.owner(product_id=product) if direct else {}
    steps: list[Planned] = []

    def payment(succeeded: bool) -> Planned:
        def build(created: int) -> Json:
            return se.payment_intent_event(
                created,
                succeeded,
                pi_id=pi_id,
                amount=amount,
                currency=currency,
                customer=user.customer,
                metadata=pi_metadata,
                shape=user.shape,
            )

        return Planned(f"pi:{pi_id}", build, tie_allowed=succeeded)

    def refund(refunded: int) -> Planned:
        def build(created: int) -> Json:
            return se.refund_event(
                created,
                refunded,
                pi_id=pi_id,
                amount=amount,
                currency=currency,
                customer=user.customer,
                shape=user.shape,
            )

        return Planned(f"pi:{pi_id}", build)

    def session(created: int) -> Json:
        metadata, reference = user.session_owner(product_id=product)
        return se.checkout_session_event(
            created,
            session_id=session_id,
            customer=user.customer,
            payment_intent=pi_id,
            metadata=metadata,
            client_reference_id=reference,
            amount=amount,
            currency=currency,
            shape=user.shape,
        )

    if kind == "fail_then_pay":
        steps.append(payment(False))
    steps.append(payment(True))
    if not direct:
        steps.append(Planned(f"pi:{pi_id}", session))
    refunded = 0
    if kind == "refund_partial":
        refunded = draw(st.integers(1, amount - 1))
        steps.append(refund(refunded))
    elif kind == "refund_full_in_two_steps":
        first = draw(st.integers(1, amount - 1))
        steps += [refund(first), refund(amount)]
        refunded = amount
    status = "refunded" if refunded == amount else "partially_refunded" if refunded else "succeeded"
    expected[pi_id] = (status, refunded)
    return steps


# --- whole streams -----------------------------------------------------------------------------


@st.composite
def streams(draw: st.DrawFn, max_users: int = 3) -> Stream:
    stream = Stream(events=[])
    journeys: list[list[Planned]] = []
    for index in range(draw(st.integers(1, max_users))):
        user = User(index, draw(st.sampled_from(se.SHAPES)), draw(st.sampled_from(OWNERSHIPS)))
        stream.users.append(user)
        if draw(st.booleans()):
            journeys.append(draw(subscription_journey(user, stream.expected_subscriptions)))
        for number in range(draw(st.integers(0 if journeys else 1, 2))):
            journeys.append(draw(purchase_journey(user, number, stream.expected_purchases)))
    rnd = draw(st.randoms(use_true_random=False))
    stream.events = _assign_created(_interleave(journeys, rnd), rnd)
    return stream


def _interleave(journeys: list[list[Planned]], rnd: random.Random) -> list[Planned]:
    """One order of all steps that keeps each journey's own order."""
    pending = [list(j) for j in journeys if j]
    merged: list[Planned] = []
    while pending:
        journey = rnd.choice(pending)
        merged.append(journey.pop(0))
        if not journey:
            pending.remove(journey)
    return merged


def _assign_created(planned: list[Planned], rnd: random.Random) -> list[Json]:
    clock = T0
    last: dict[str, int] = {}
    events = []
    for step in planned:
        if step.tie_allowed and step.object_key in last and rnd.random() < 0.3:
            created = last[step.object_key]
        else:
            clock += rnd.randint(1, 3)
            created = clock
        last[step.object_key] = created
        events.append(step.build(created))
    return events


@st.composite
def deliveries(draw: st.DrawFn, events: list[Json]) -> list[Json]:
    """The stream shuffled, with some events delivered twice (same id) and some replayed under a
    new id (the same content, as a second delivery Stripe assigned a new id would carry)."""
    again = draw(st.lists(st.sampled_from(events), max_size=len(events) // 2)) if events else []
    replays = []
    for n, event in enumerate(
        draw(st.lists(st.sampled_from(events), max_size=3)) if events else []
    ):
        replay = copy.deepcopy(event)
        replay["id"] = f"{event['id']}_replay{n}"
        replays.append(replay)
    return draw(st.permutations(events + again + replays))


@st.composite
def delivered_streams(draw: st.DrawFn, max_users: int = 3) -> tuple[Stream, list[Json]]:
    """A stream and one shuffled, duplicated delivery of it, both drawn before the test runs."""
    stream = draw(streams(max_users))
    return stream, draw(deliveries(stream.events))
