"""A realistic world of users of project `acme` and the Stripe events that tell their stories,
with the oracle: what the service must show once every event is applied.

The oracle is computed from the world itself, not by running the service's own inbox in order:
the world knows each story's outcome (the status and period end of each subscription's newest
snapshot; which payments succeeded and how much of them was refunded), and CONTRACT sections
3-4 turn that into entitlements, subscription metrics and revenue. An in-order replay through
`workers.inbox` would share any bug of the handlers it is meant to judge; this oracle shares
none of the service's code, so the baseline scenario checks the service's rules too, and every
fault scenario checks that the fault changed nothing.

Each object's events have strictly increasing `created`, so the newest snapshot is unambiguous
(no tie rules needed); the events are delivered shuffled, with duplicates, by the sender.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests import stripe_events as se

PROJECT = "acme"
MONTH_S = 30 * 86_400
ENTITLING = ("active", "trialing", "past_due")
PAID = ("succeeded", "partially_refunded", "refunded")
GRANTING = ("succeeded", "partially_refunded")
SUB_PRODUCTS = (("prod_pro",), ("prod_team",), ("prod_pro", "prod_addon"))
ONE_TIME_PRODUCTS = ("prod_lifetime", "prod_book_a", "prod_book_b", "prod_credits")
Json = dict[str, Any]


@dataclass
class SubscriptionTruth:
    id: str
    user: str
    products: tuple[str, ...]
    status: str
    period_end: int


@dataclass
class PurchaseTruth:
    pi: str
    user: str
    product: str
    amount: int
    currency: str
    succeeded: bool = False
    refunded: int = 0

    @property
    def status(self) -> str:
        if not self.succeeded:
            return "failed"
        if self.refunded >= self.amount:
            return "refunded"
        return "partially_refunded" if self.refunded > 0 else "succeeded"


@dataclass
class World:
    users: list[str]
    events: list[Json] = field(default_factory=list)  # each user's story in order
    subscriptions: dict[str, SubscriptionTruth] = field(default_factory=dict)
    purchases: dict[str, PurchaseTruth] = field(default_factory=dict)
    event_users: dict[str, str] = field(default_factory=dict)  # event id → the user it is about
    # What the Stripe API must answer for the look-ups (only with `lookups`): customers (some
    # naming their owner only there) and Checkout Sessions without `product_id`, with their
    # line items.
    stripe_customers: dict[str, Json] = field(default_factory=dict)
    stripe_sessions: list[tuple[Json, Json]] = field(default_factory=list)

    # --- the oracle ---------------------------------------------------------------------------

    def entitlements(self, user: str) -> dict[str, Json]:
        """CONTRACT section 3: a product with no mapping grants the entitlement named by its id;
        of several grants of one key, the one lasting longest (lifetime first), then by source
        and source id, as the read API shows it (section 4)."""
        candidates: list[tuple[str, str, str, int | None]] = []
        for sub in self.subscriptions.values():
            if sub.user == user and sub.status in ENTITLING:
                candidates += [("subscription", sub.id, p, sub.period_end) for p in sub.products]
        for purchase in self.purchases.values():
            if purchase.user == user and purchase.status in GRANTING:
                candidates.append(("purchase", purchase.pi, purchase.product, None))
        best: dict[str, tuple[str, str, str, int | None]] = {}
        for grant in candidates:
            key = grant[2]
            if key not in best or _rank(grant) > _rank(best[key]):
                best[key] = grant
        return {
            key: {
                "source": source,
                "source_id": source_id,
                "product_id": product,
                "expires_at": se.iso(expires) if expires is not None else None,
            }
            for key, (source, source_id, product, expires) in sorted(best.items())
        }

    def subscription_metrics(self) -> Json:
        by_status: dict[str, int] = {}
        for sub in self.subscriptions.values():
            by_status[sub.status] = by_status.get(sub.status, 0) + 1
        active = sum(n for status, n in by_status.items() if status in ENTITLING)
        return {
            "project_id": PROJECT,
            "active_subscriptions": active,
            "by_status": dict(sorted(by_status.items())),
        }

    def revenue(self) -> Json:
        currencies: dict[str, Json] = {}
        for purchase in self.purchases.values():
            if purchase.status not in PAID:
                continue
            row = currencies.setdefault(
                purchase.currency, {"gross": 0, "refunded": 0, "net": 0, "purchases": 0}
            )
            row["gross"] += purchase.amount
            row["refunded"] += min(purchase.refunded, purchase.amount)
            row["net"] = row["gross"] - row["refunded"]
            row["purchases"] += 1
        return {"project_id": PROJECT, "currencies": dict(sorted(currencies.items()))}

    def event_ids(self) -> set[str]:
        return {e["id"] for e in self.events}


def _rank(grant: tuple[str, str, str, int | None]) -> tuple[float, str, str]:
    source, source_id, _, expires = grant
    return (float("inf") if expires is None else float(expires), source, source_id)


# --- building the world ----------------------------------------------------------------------


class _Story:
    """One user's events on a clock that only moves forward."""

    def __init__(self, world: World, rng: random.Random, index: int, lookups: bool) -> None:
        self.world, self.rng, self.i, self.lookups = world, rng, index, lookups
        self.user = f"user{index:04d}"
        self.customer = f"cus_f{index:04d}"
        self.shape = "old" if rng.random() < 0.25 else "new"
        self.clock = se.T0 + rng.randint(0, 20 * 86_400)

    def tick(self, seconds: int = 60) -> int:
        self.clock += seconds + self.rng.randint(0, 30)
        return self.clock

    def add(self, event: Json) -> None:
        self.world.events.append(event)
        self.world.event_users[event["id"]] = self.user

    # subscriptions

    def subscription(self) -> None:
        rng, i = self.rng, self.i
        sub_id = f"sub_f{i:04d}"
        products = rng.choice(SUB_PRODUCTS)
        by_metadata = rng.random() < 0.6  # otherwise only the Checkout Session names the owner
        metadata = se.owner_metadata(self.user) if by_metadata else {}
        reference = not by_metadata and rng.random() < 0.4
        # With look-ups, some subscriptions come from no Checkout Session and name no owner: only
        # the Stripe Customer's metadata (fetched from the API) does.
        customer_only = self.lookups and not by_metadata and rng.random() < 0.5
        if customer_only:
            self.world.stripe_customers[self.customer]["metadata"] = se.owner_metadata(self.user)
        else:
            self.add(
                se.checkout_session_event(
                    self.tick(),
                    mode="subscription",
                    session_id=f"cs_sub_f{i:04d}",
                    customer=self.customer,
                    payment_intent=None,
                    subscription=sub_id,
                    metadata={"project_id": PROJECT} if reference else se.owner_metadata(self.user),
                    client_reference_id=self.user if reference else None,
                    amount=2000 * len(products),
                )
            )
        truth = SubscriptionTruth(sub_id, self.user, products, "", 0)
        self.world.subscriptions[sub_id] = truth
        invoices = 0

        def snapshot(status: str, event_type: str = se.SUBSCRIPTION_UPDATED, cancel: bool = False):
            truth.status = status
            self.add(
                se.subscription_event(
                    self.tick(),
                    status,
                    event_type=event_type,
                    sub_id=sub_id,
                    customer=self.customer,
                    products=products,
                    period_end=truth.period_end,
                    metadata=metadata,
                    cancel_at_period_end=cancel,
                    shape=self.shape,
                )
            )

        def invoice(paid: bool) -> None:
            nonlocal invoices
            invoices += 1
            invoice_id, pi_id = f"in_f{i:04d}_{invoices}", f"pi_in_f{i:04d}_{invoices}"
            amount = 2000 * len(products)
            self.add(
                se.payment_intent_event(
                    self.tick(),
                    paid,
                    pi_id=pi_id,
                    amount=amount,
                    customer=self.customer,
                    invoice=invoice_id,
                    shape=self.shape,
                )
            )
            self.add(
                se.invoice_event(
                    self.tick(),
                    paid,
                    invoice_id=invoice_id,
                    sub_id=sub_id,
                    customer=self.customer,
                    payment_intent=pi_id,
                    shape=self.shape,
                )
            )

        truth.period_end = self.clock + MONTH_S
        if rng.random() < 0.15:
            snapshot("trialing", se.SUBSCRIPTION_CREATED)
            story = rng.choice(["trial_converts", "trial_canceled", "trial_stays"])
            if story == "trial_converts":
                self.tick(14 * 86_400)
                invoice(True)
                truth.period_end += MONTH_S
                snapshot("active")
            elif story == "trial_canceled":
                snapshot("canceled", se.SUBSCRIPTION_DELETED)
            return
        snapshot("active", se.SUBSCRIPTION_CREATED)
        invoice(True)
        story = rng.choices(
            [
                "renews",
                "past_due_recovers",
                "past_due_canceled",
                "past_due_stays",
                "canceled",
                "cancel_at_period_end",
            ],
            weights=[30, 15, 20, 10, 15, 10],
        )[0]
        if story == "renews":
            for _ in range(rng.randint(1, 3)):
                self.tick(MONTH_S)
                invoice(True)
                truth.period_end += MONTH_S
                snapshot("active")
        elif story.startswith("past_due"):
            self.tick(MONTH_S)
            invoice(False)
            snapshot("past_due")
            if story == "past_due_recovers":
                self.tick(3 * 86_400)
                invoice(True)
                truth.period_end += MONTH_S
                snapshot("active")
            elif story == "past_due_canceled":
                self.tick(7 * 86_400)
                invoice(False)
                self.tick(7 * 86_400)
                snapshot("canceled", se.SUBSCRIPTION_DELETED)
        elif story == "canceled":
            self.tick(10 * 86_400)
            snapshot("canceled", se.SUBSCRIPTION_DELETED)
        else:
            self.tick(5 * 86_400)
            snapshot("active", cancel=True)

    # one-time purchases

    def purchase(self, k: int) -> None:
        rng, i = self.rng, self.i
        pi_id = f"pi_f{i:04d}_{k}"
        product = rng.choice(ONE_TIME_PRODUCTS)
        currency = "eur" if rng.random() < 0.2 else "usd"
        amount = rng.randrange(500, 9900, 100)
        by_session = rng.random() < 0.5
        truth = PurchaseTruth(pi_id, self.user, product, amount, currency)
        self.world.purchases[pi_id] = truth
        pi_metadata = {} if by_session else se.owner_metadata(self.user, product_id=product)
        outcome = rng.choices(["succeeded", "failed_then_succeeded", "failed"], [75, 15, 10])[0]
        if by_session and outcome == "failed":
            outcome = "failed_then_succeeded"  # a Checkout Session completes once paid

        def payment(succeeded: bool) -> None:
            self.add(
                se.payment_intent_event(
                    self.tick(),
                    succeeded,
                    pi_id=pi_id,
                    amount=amount,
                    currency=currency,
                    customer=self.customer,
                    metadata=pi_metadata,
                    shape=self.shape,
                )
            )

        if outcome != "succeeded":
            payment(False)
        if outcome == "failed":
            return
        payment(True)
        truth.succeeded = True
        if by_session:
            # With look-ups, some sessions name no product: its line items (API) do.
            from_line_items = self.lookups and rng.random() < 0.5
            session = se.checkout_session_event(
                self.tick(),
                mode="payment",
                session_id=f"cs_f{i:04d}_{k}",
                customer=self.customer,
                payment_intent=pi_id,
                metadata=se.owner_metadata(self.user)
                if from_line_items
                else se.owner_metadata(self.user, product_id=product),
                amount=amount,
                currency=currency,
            )
            self.add(session)
            if from_line_items:
                item = se.checkout_line_item(product, amount=amount, currency=currency)
                self.world.stripe_sessions.append((session["data"]["object"], item))
        refund = rng.choices(
            ["none", "full", "partial", "partial_then_full", "two_partial"], [70, 10, 10, 5, 5]
        )[0]
        steps = {
            "none": [],
            "full": [amount],
            "partial": [amount // 4],
            "partial_then_full": [amount // 3, amount],
            "two_partial": [amount // 5, amount // 2],
        }[refund]
        for refunded in steps:
            self.tick(86_400)
            self.add(
                se.refund_event(
                    self.tick(),
                    refunded,
                    pi_id=pi_id,
                    amount=amount,
                    currency=currency,
                    customer=self.customer,
                )
            )
            truth.refunded = max(truth.refunded, refunded)


def build_world(users: int, seed: int, lookups: bool = False) -> World:
    """`users` stories; with `lookups`, some owners and products are known only to the Stripe
    API (`world.stripe_customers`, `world.stripe_sessions`)."""
    rng = random.Random(seed)
    world = World(users=[])
    for index in range(users):
        story = _Story(world, rng, index, lookups)
        world.users.append(story.user)
        if lookups:
            world.stripe_customers[story.customer] = se.customer(story.customer, created=se.T0)
        if rng.random() < 0.25:  # a type no handler acts on: stored, then `skipped`
            customer = se.customer(story.customer, created=story.clock)
            story.add(se.event("customer.created", customer, created=story.tick()))
        has_subscription = rng.random() < 0.7
        if has_subscription:
            story.subscription()
        if not has_subscription or rng.random() < 0.35:
            for k in range(1, rng.choice([1, 1, 2]) + 1):
                story.purchase(k)
    return world


# --- the delivery plan -------------------------------------------------------------------------


def delivery_plan(
    world: World, duplicate_rate: float, seed: int, simultaneous: bool = False
) -> list[list[Json]]:
    """Items to send, shuffled: each is one event sent once, or (with `simultaneous`) an event
    whose copies are sent at the same moment. Without `simultaneous`, a duplicate is a copy
    sent again at another random position."""
    rng = random.Random(seed ^ 0x5EED)
    items: list[list[Json]] = []
    for event in world.events:
        duplicated = rng.random() < duplicate_rate
        if duplicated and simultaneous:
            items.append([event, event])
        else:
            items.append([event])
            if duplicated:
                items.append([event])
    rng.shuffle(items)
    return items
