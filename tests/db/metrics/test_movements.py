"""CONTRACT section 10: MRR and movements over a hand-built world of 30 subscriptions over 90
days, against an oracle computed from the world itself; delivered shuffled and duplicated, the
answers are the same (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from shared.metrics.report import Window
from shared.operations.metrics import project_metrics
from tests import stripe_events as se
from tests.stripe_events import PROJECT, owner_metadata
from tests.support.state import create_project, deliver_all
from tests.support.stores import truncate_all_tables
from workers.inbox import Inbox

Json = dict[str, Any]
DAY0 = date(2026, 1, 1)
UNIT = 2000  # the builders' price: 20.00 a month
PAYING = ("active", "past_due")
STATUSES = ("trialing", "active", "active", "past_due", "canceled", "unpaid")


@dataclass(frozen=True)
class Snapshot:
    sub_id: str
    created: int
    status: str
    quantity: int


def _ts(day: int, hour: int = 12) -> int:
    return (
        int(datetime(DAY0.year, DAY0.month, DAY0.day, hour, tzinfo=UTC).timestamp()) + day * 86_400
    )


def build_world(seed: int = 7) -> list[Snapshot]:
    rnd = random.Random(seed)
    snapshots: list[Snapshot] = []
    for n in range(30):
        day = rnd.randrange(0, 60)
        for _ in range(rnd.randrange(1, 5)):
            status = rnd.choice(STATUSES)
            snapshots.append(Snapshot(f"sub_m{n:02d}", _ts(day, rnd.randrange(24)), status,
                                      rnd.randrange(1, 4)))  # fmt: skip
            day += rnd.randrange(1, 25)
            if day >= 90:
                break
    return snapshots


def event_of(snap: Snapshot) -> Json:
    n = int(snap.sub_id[-2:])
    obj = se.subscription(
        snap.sub_id, customer=f"cus_m{n:02d}", status=snap.status, products=["prod_pro"],
        period_end=snap.created + 30 * 86_400, created=_ts(0) - 86_400,
        metadata=owner_metadata(f"user_m{n:02d}"),
    )  # fmt: skip
    for item in obj["items"]["data"]:
        item["quantity"] = snap.quantity
    return se.event("customer.subscription.updated", obj, created=snap.created)


def oracle(world: list[Snapshot], window: Window) -> Json:
    start, end = window.params["start"], window.params["end"]
    by_sub: dict[str, list[Snapshot]] = {}
    for snap in sorted(world, key=lambda s: s.created):
        by_sub.setdefault(snap.sub_id, []).append(snap)

    def state(snaps: list[Snapshot], t: int) -> Snapshot | None:
        before = [s for s in snaps if s.created < t]
        return before[-1] if before else None

    def paying(s: Snapshot | None) -> bool:
        return s is not None and s.status in PAYING

    counts = dict.fromkeys(("active_at_start", "new", "churned", "reactivated", "active_at_end"), 0)
    money = dict.fromkeys(("new_mrr", "churned_mrr", "expansion_mrr", "contraction_mrr"), 0)
    for snaps in by_sub.values():
        s0, s1 = state(snaps, start), state(snaps, end)
        first = next((s for s in snaps if s.status in PAYING), None)
        if first is None:
            continue
        counts["active_at_start"] += paying(s0)
        counts["active_at_end"] += paying(s1)
        if start <= first.created < end:
            counts["new"] += 1
            money["new_mrr"] += UNIT * first.quantity
        if paying(s0) and not paying(s1):
            counts["churned"] += 1
            money["churned_mrr"] += UNIT * s0.quantity  # type: ignore[union-attr]
        if first.created < start and not paying(s0) and paying(s1):
            counts["reactivated"] += 1
        if paying(s0) and paying(s1):
            diff = UNIT * (s1.quantity - s0.quantity)  # type: ignore[union-attr]
            money["expansion_mrr"] += max(diff, 0)
            money["contraction_mrr"] += max(-diff, 0)
    return {"subscriptions": counts, "money": money}


WINDOWS = [("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-03-31"), ("2026-01-15", "2026-01-15"),
           ("2025-12-01", "2026-04-30")]  # fmt: skip


def check(engine: Engine, world: list[Snapshot]) -> None:
    latest: dict[str, Snapshot] = {}
    for snap in sorted(world, key=lambda s: s.created):
        latest[snap.sub_id] = snap
    with engine.connect() as conn:
        for first, last in WINDOWS:
            window = Window.parse(first, last)
            report = project_metrics(conn, PROJECT, window)
            expected = oracle(world, window)
            moves = report["movements"]
            assert moves["subscriptions"] == expected["subscriptions"], (first, last)
            usd = moves["currencies"].get("usd", dict.fromkeys(expected["money"], 0))
            assert usd == expected["money"], (first, last)
            start = expected["subscriptions"]["active_at_start"]
            churned = expected["subscriptions"]["churned"]
            assert moves["churn_rate"] == (round(churned / start, 4) if start else None)
    paying_now = [s for s in latest.values() if s.status in PAYING]
    mrr = report["mrr"]["currencies"]["usd"]
    assert mrr["paying_subscriptions"] == len(paying_now)
    assert mrr["mrr"] == UNIT * sum(s.quantity for s in paying_now)
    assert mrr["arr"] == 12 * mrr["mrr"]


def test_movements_of_a_hand_built_world_match_the_oracle(clean_db: Engine, inbox: Inbox) -> None:
    world = build_world()
    create_project(clean_db)
    deliver_all(inbox, clean_db, [event_of(s) for s in world])
    expected = oracle(world, Window.parse("2026-01-01", "2026-01-31"))["subscriptions"]
    assert expected["new"] and expected["active_at_end"]  # the world exercises the window
    check(clean_db, world)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), duplicates=st.floats(0, 0.5))
def test_shuffled_and_duplicated_delivery_gives_the_same_answers(
    clean_db: Engine, inbox: Inbox, seed: int, duplicates: float
) -> None:
    truncate_all_tables(clean_db)
    world = build_world()
    create_project(clean_db)
    rnd = random.Random(seed)
    events = [event_of(s) for s in world]
    events += [e for e in events if rnd.random() < duplicates]
    rnd.shuffle(events)
    deliver_all(inbox, clean_db, events)
    check(clean_db, world)


def test_window_bounds_are_utc_days_with_to_inclusive() -> None:
    window = Window.parse("2026-01-01", "2026-01-01")
    assert window.params["end"] - window.params["start"] == 86_400
    assert datetime.fromtimestamp(window.params["start"], UTC) == datetime(2026, 1, 1, tzinfo=UTC)
    assert timedelta(seconds=window.params["end"] - window.params["start"]).days == 1
