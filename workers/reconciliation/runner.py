"""One reconciliation run: fetch the window from Stripe, replay missed events, correct drift.

Corrections go through the ordinary handlers (the Stripe object wrapped in an event dated when it
was observed), each in its own transaction with its entitlement recompute and cache refresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import stripe
import structlog
from sqlalchemy import Connection, Engine

from shared.db import webhook_events
from shared.db.reconciliation_runs import RunCounters, finish_run, load_run, summary_json
from shared.state.purchases import stored_payments
from shared.state.subscriptions import stored_snapshots
from shared.statuses import RunStatus
from shared.unit_of_work import UnitOfWork
from workers.bootstrap import WorkerParts
from workers.inbox import Handler, Inbox
from workers.reconciliation.drift import (
    LocalPurchase,
    LocalSubscription,
    is_purchase_candidate,
    purchase_differs,
    purchase_events,
    subscription_differs,
    subscription_event,
)
from workers.reconciliation.stripe_window import Json, StripeWindow, fetch_window

log = structlog.get_logger("workers.reconciliation")
Progress = Callable[[str, int], None]
DAY_S = 86_400


def _no_progress(kind: str, count: int) -> None:
    pass


@dataclass
class Reconciler:
    engine: Engine
    client: stripe.StripeClient
    inbox: Inbox
    handlers: Mapping[str, Handler]
    uow: UnitOfWork
    clock: Callable[[], float] = time.time

    @classmethod
    def from_parts(cls, parts: WorkerParts, client: stripe.StripeClient) -> Reconciler:
        return cls(parts.engine, client, parts.inbox, parts.handlers, parts.uow)

    def run(self, run_id: str, days_back: int, progress: Progress = _no_progress) -> RunCounters:
        since = int(self.clock()) - days_back * DAY_S
        bound = log.bind(run_id=run_id, days_back=days_back)
        bound.info("reconciliation.started", since=since, **self._summary(run_id))
        counters = RunCounters()
        try:
            window = fetch_window(self.client, since, progress)
        except Exception as exc:  # Stripe API error or timeout: nothing has been applied
            counters.errors += 1
            finish_run(self.engine, run_id, counters, RunStatus.FAILED, f"Stripe API: {exc}")
            bound.error("reconciliation.finished", status="failed", error=str(exc),
                        **self._summary(run_id))  # fmt: skip
            return counters
        try:
            self._apply(window, counters, progress)
        except Exception as exc:  # each correction is its own transaction: no half-written record
            counters.errors += 1
            finish_run(
                self.engine, run_id, counters, RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
            )
            bound.error("reconciliation.finished", status="failed", error=str(exc),
                        **self._summary(run_id))  # fmt: skip
            return counters
        finish_run(self.engine, run_id, counters, RunStatus.FINISHED, None)
        bound.info("reconciliation.finished", status="finished", **self._summary(run_id))
        return counters

    def _summary(self, run_id: str) -> dict[str, Any]:
        """The contract's summary fields (section 7) as the run's row holds them, for the logs."""
        row = load_run(self.engine, run_id)
        return summary_json(row) if row is not None else {}

    def _apply(self, window: StripeWindow, counters: RunCounters, progress: Progress) -> None:
        self._replay_missed_events(window.events, counters)
        progress("replayed", counters.events_replayed)
        self._check_subscriptions(window.subscriptions, counters, window.subscriptions_listed_at)
        progress("subscriptions checked", counters.subscriptions_checked)
        self._check_purchases(window.payment_intents, counters, window.payment_intents_listed_at)
        progress("purchases checked", counters.purchases_checked)

    def correct(
        self, subscriptions: list[Json], payment_intents: list[Json], listed_at: int
    ) -> RunCounters:
        """Compare and correct objects fetched outside a run (one customer's, for a resync)."""
        counters = RunCounters()
        self._check_subscriptions(subscriptions, counters, listed_at)
        self._check_purchases(payment_intents, counters, listed_at)
        return counters

    def _replay_missed_events(self, events: list[Json], counters: RunCounters) -> None:
        """Events the webhook never delivered, stored and processed exactly as if it had."""
        for event in sorted(events, key=lambda e: (e.get("created") or 0, e.get("id") or "")):
            try:
                with self.engine.begin() as tx:
                    new = webhook_events.insert_if_new(tx, webhook_events.event_row(event))
                if not new:
                    continue
                counters.events_replayed += 1
                log.info(
                    "reconciliation.event_replayed", event_id=event["id"], event_type=event["type"]
                )
                self.inbox.process(event["id"])
            except Exception as exc:
                counters.errors += 1
                log.error("reconciliation.replay_failed", event_id=event.get("id"), error=str(exc))

    def _check_subscriptions(
        self, subs: list[Json], counters: RunCounters, observed_at: int
    ) -> None:
        local = self._local(stored_snapshots, [s["id"] for s in subs])
        for sub in subs:
            counters.subscriptions_checked += 1
            row = local.get(sub["id"])
            mine = LocalSubscription(row.status, row.current_period_end) if row else None
            if not subscription_differs(sub, mine, observed_at):
                continue
            counters.drift_detected += 1
            log.info(
                "reconciliation.drift",
                object_id=sub["id"],
                kind="subscription",
                local_status=mine.status if mine else None,
                stripe_status=sub.get("status"),
            )
            if self._correct([subscription_event(sub, observed_at)], counters):
                now_local = self._local_subscription(sub["id"])
                self._count_corrected(
                    sub["id"], subscription_differs(sub, now_local, observed_at), counters
                )

    def _check_purchases(self, pis: list[Json], counters: RunCounters, observed_at: int) -> None:
        local = self._local(stored_payments, [p["id"] for p in pis])
        for pi in pis:
            row = local.get(pi["id"])
            if not is_purchase_candidate(pi, row is not None):
                continue
            counters.purchases_checked += 1
            mine = LocalPurchase(row.payment_status, row.amount_refunded_minor) if row else None
            if not purchase_differs(pi, mine):
                continue
            counters.drift_detected += 1
            log.info(
                "reconciliation.drift",
                object_id=pi["id"],
                kind="purchase",
                local_status=mine.payment_status if mine else None,
                stripe_status=pi.get("status"),
            )
            if self._correct(purchase_events(pi, observed_at), counters):
                now_local = self._local_purchase(pi["id"])
                self._count_corrected(pi["id"], purchase_differs(pi, now_local), counters)

    def _correct(self, events: list[Json], counters: RunCounters) -> bool:
        """All events of one object in one transaction, through the ordinary handlers."""
        try:
            with self.uow.begin() as work:
                for event in events:
                    work.touch(self.handlers[event["type"]](work.tx, event))
        except Exception as exc:
            counters.errors += 1
            log.error("reconciliation.correction_failed", error=str(exc))
            return False
        return True

    def _count_corrected(self, object_id: str, still_differs: bool, counters: RunCounters) -> None:
        """A record still different after its correction was changed by a newer event while the
        run was listing: the newer state stays, and the next run compares again."""
        if still_differs:
            log.info("reconciliation.local_newer", object_id=object_id)
        else:
            counters.corrected += 1

    def _local(
        self, read: Callable[[Connection, list[str]], dict[str, Any]], ids: list[str]
    ) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return read(conn, ids)

    def _local_subscription(self, sub_id: str) -> LocalSubscription | None:
        row = self._local(stored_snapshots, [sub_id]).get(sub_id)
        return LocalSubscription(row.status, row.current_period_end) if row else None

    def _local_purchase(self, payment_intent_id: str) -> LocalPurchase | None:
        row = self._local(stored_payments, [payment_intent_id]).get(payment_intent_id)
        return LocalPurchase(row.payment_status, row.amount_refunded_minor) if row else None
