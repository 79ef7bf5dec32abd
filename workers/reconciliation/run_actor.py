"""The body of the reconciliation actor: carry out a requested run, or end it `failed`, saying
why, when the worker has no Stripe key; either way the run is counted as it ended."""

from __future__ import annotations

from shared.db.reconciliation_runs import RunCounters, finish_run, load_run
from shared.statuses import RunStatus
from shared.stripe_api import NO_STRIPE_KEY
from workers.bootstrap import WorkerParts
from workers.prometheus.worker_metrics import count_reconciliation_run
from workers.reconciliation.runner import Reconciler


def run_or_refuse(parts: WorkerParts, run_id: str, days_back: int) -> None:
    if parts.stripe_client is None:
        finish_run(parts.engine, run_id, RunCounters(errors=1), RunStatus.FAILED, NO_STRIPE_KEY)
        count_reconciliation_run(RunStatus.FAILED, drift_detected=0)
        return
    counters = Reconciler.from_parts(parts, parts.stripe_client).run(run_id, days_back)
    run = load_run(parts.engine, run_id)
    status = run["status"] if run is not None else RunStatus.FAILED
    count_reconciliation_run(status, counters.drift_detected)
