"""`billing import`: the whole Stripe account, page by page, through the reconciliation rules.

Customers first (their metadata links owners), then completed Checkout Sessions (often the only
place the app's user id lives: client_reference_id), subscriptions of every status, and
PaymentIntents with their latest charge. Every object is applied as an event dated when its page
was listed, so a newer webhook state is never overwritten. Each page is applied, and the place
after it saved, in one unit of work: a stopped import resumes after its last finished page, and
one page is never half-applied. Only one page is in memory at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import stripe
import structlog
from sqlalchemy import Engine

from shared.db import imports
from shared.db.imports import PageCounts, Stage
from shared.records import Owner
from shared.state.ownership import (
    attribute,
    hold_customer,
    link_customer,
    linked_customers,
    owners_of,
)
from shared.state.purchases import stored_payments
from shared.state.subscriptions import stored_snapshots
from shared.statuses import RunStatus
from shared.unit_of_work import UnitOfWork, Work
from workers.bootstrap import WorkerParts
from workers.handlers import bind_handlers
from workers.inbox import Handler
from workers.payloads.fields import claimed_owner
from workers.reconciliation.drift import (
    LocalPurchase,
    LocalSubscription,
    checkout_session_event,
    purchase_differs,
    purchase_events,
    subscription_differs,
    subscription_event,
)

log = structlog.get_logger("workers.import")
Json = dict[str, Any]
PAGE_SIZE = 100
LIST_PATHS: dict[Stage, str] = {
    "customers": "/v1/customers",
    "checkout_sessions": "/v1/checkout/sessions",
    "subscriptions": "/v1/subscriptions",
    "payment_intents": "/v1/payment_intents",
}
LIST_FILTERS: dict[Stage, dict[str, Any]] = {
    "customers": {},
    "checkout_sessions": {"status": "complete"},
    "subscriptions": {"status": "all"},
    "payment_intents": {"expand": ["data.latest_charge"]},
}


@dataclass(frozen=True)
class Progress:
    stage: Stage
    pages: int
    objects: int
    objects_per_s: float


class ImportRefused(RuntimeError):
    """The import cannot start or resume; the message says why."""


@dataclass
class Importer:
    engine: Engine
    client: stripe.StripeClient
    uow: UnitOfWork
    handlers: Mapping[str, Handler]
    on_page: Callable[[Progress], None] = lambda progress: None

    @classmethod
    def from_parts(cls, parts: WorkerParts, client: stripe.StripeClient) -> Importer:
        # The customers stage has read every customer's metadata: no per-customer look-ups.
        handlers = bind_handlers(replace(parts.deps, enrich_customer=None))
        return cls(parts.engine, client, parts.uow, handlers)

    def run(self, import_id: str) -> dict[str, Any]:
        """Carry the import on from where its row stands; returns the row when it ends."""
        with self.engine.connect() as lock_conn:  # held until the import ends
            if not imports.try_lock(lock_conn, import_id):
                raise ImportRefused(f"import {import_id} is running in another process")
            lock_conn.commit()
            try:
                row = imports.load_import(self.engine, import_id)
                if row is None:
                    raise ImportRefused(f"no import {import_id}")
                if row["status"] == RunStatus.FINISHED:
                    raise ImportRefused(f"import {import_id} is finished; start a new one")
                imports.reopen_import(self.engine, import_id)
                self._run_stages(import_id, row["stage"], row["cursor"])
            finally:
                imports.unlock(lock_conn, import_id)
        row = imports.load_import(self.engine, import_id)
        assert row is not None
        return row

    def _run_stages(self, import_id: str, stage: Stage, cursor: str | None) -> None:
        bound = log.bind(import_id=import_id)
        bound.info("import.started", stage=stage, cursor=cursor)
        started, objects, pages = time.monotonic(), 0, 0
        try:
            while stage != "done":
                listed_at = int(time.time())
                page = self._list(stage, cursor)
                data: list[Json] = page["data"]
                next_stage, next_cursor = (
                    (stage, data[-1]["id"]) if page["has_more"] and data else (_after(stage), None)
                )
                with self.uow.begin() as work:
                    counts = self._apply(work, stage, data, listed_at)
                    imports.save_page(work.tx, import_id, next_stage, next_cursor, counts)
                pages, objects = pages + 1, objects + len(data)
                rate = objects / max(time.monotonic() - started, 1e-6)
                self.on_page(Progress(stage, pages, objects, rate))
                stage, cursor = next_stage, next_cursor
        except Exception as exc:  # Stripe after its retries, or the database: resumable
            imports.finish_import(self.engine, import_id, RunStatus.FAILED, _describe(exc), 1)
            bound.error("import.failed", stage=stage, cursor=cursor, error=_describe(exc))
            return
        imports.finish_import(self.engine, import_id, RunStatus.FINISHED, None)
        bound.info("import.finished", pages=pages, objects=objects)

    def _list(self, stage: Stage, cursor: str | None) -> Json:
        """One page as Stripe's JSON: plain dicts, since building StripeObjects for a hundred
        subscriptions costs more than applying them."""
        params: dict[str, Any] = {"limit": PAGE_SIZE, **LIST_FILTERS[stage]}
        if cursor is not None:
            params["starting_after"] = cursor
        page: Json = self.client.raw_request("get", LIST_PATHS[stage], **params).data
        return page

    def _apply(self, work: Work, stage: Stage, data: list[Json], listed_at: int) -> PageCounts:
        """Subscriptions and payments already as Stripe has them are left alone, so that
        importing again changes nothing."""
        counts = PageCounts()
        ids = [obj["id"] for obj in data]
        customers = ids if stage == "customers" else [c for o in data if (c := _customer_of(o))]
        linked_before = linked_customers(work.tx, customers)
        if stage == "customers":
            for customer in data:
                counts.customers += 1
                self._link_customer(work, customer, listed_at)
        elif stage == "checkout_sessions":
            for session in data:
                counts.checkout_sessions += 1
                self._handle(work, checkout_session_event(session, listed_at))
        elif stage == "subscriptions":
            stored = stored_snapshots(work.tx, ids)
            for sub in data:
                counts.subscriptions += 1
                row = stored.get(sub["id"])
                mine = LocalSubscription(row.status, row.current_period_end) if row else None
                if subscription_differs(sub, mine, listed_at):
                    self._handle(work, subscription_event(sub, listed_at))
                counts.unowned += not owners_of(work.tx, "subscriptions", sub["id"])
        else:
            paid = stored_payments(work.tx, ids)
            for pi in data:
                row = paid.get(pi["id"])
                known = (
                    LocalPurchase(row.payment_status, row.amount_refunded_minor) if row else None
                )
                events = purchase_events(pi, listed_at) if purchase_differs(pi, known) else []
                counts.purchases += bool(events) or known is not None
                for event in events:
                    self._handle(work, event)
        counts.owners_linked = len(linked_customers(work.tx, customers) - linked_before)
        return counts

    def _handle(self, work: Work, event: Json) -> None:
        work.touch(self.handlers[event["type"]](work.tx, event))

    def _link_customer(self, work: Work, customer: Json, listed_at: int) -> None:
        """The owner the customer's own metadata names, if any (dated when listed)."""
        owner: Owner | None = attribute(work.tx, claimed_owner(customer), customer["id"]).owner
        if owner is None:
            hold_customer(work.tx, customer["id"])
            return
        work.touch(link_customer(work.tx, customer["id"], owner, listed_at))


def _customer_of(obj: Json) -> str | None:
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return customer if isinstance(customer, str) else None


def _after(stage: Stage) -> Stage:
    return imports.STAGES[imports.STAGES.index(stage) + 1]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
