"""Building a Reconciler from a process's parts, or refusing clearly without a Stripe key."""

from __future__ import annotations

from collections.abc import Mapping

import stripe
from sqlalchemy import Engine

from shared.db.models import RunStatus
from shared.reconciliation_runs import NO_STRIPE_KEY
from workers.entitlements.refresh import EntitlementRefresher
from workers.inbox import Handler, Inbox
from workers.reconciliation.runner import Reconciler
from workers.reconciliation.runs import RunCounters, finish_run


def run_or_refuse(
    engine: Engine,
    client: stripe.StripeClient | None,
    inbox: Inbox,
    handlers: Mapping[str, Handler],
    refresher: EntitlementRefresher,
    run_id: str,
    days_back: int,
) -> None:
    """The body of the reconciliation actor: a run without a key ends `failed`, saying why."""
    if client is None:
        finish_run(engine, run_id, RunCounters(errors=1), RunStatus.FAILED, NO_STRIPE_KEY)
        return
    Reconciler(engine, client, inbox, handlers, refresher).run(run_id, days_back)
