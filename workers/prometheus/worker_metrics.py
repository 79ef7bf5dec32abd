"""What the workers count, each at the point where the outcome is final: an event once its
status is committed (workers/inbox.py), a delivery once its try is recorded, a reconciliation run
once it has ended. Under `billing worker` every process counts into one directory, and the
exposition adds them up (workers/prometheus/exposition_server.py)."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Counter, Histogram

from shared.statuses import DeliveryStatus, EventStatus

EVENTS_PROCESSED = Counter(
    "billing_events_processed_total",
    "Stored events handled, by event type and final status (processed, skipped, failed).",
    ["type", "status"],
)
EVENT_PROCESSING = Histogram(
    "billing_event_processing_seconds",
    "Wall time of the transaction that applied an event (a batch of events shares one), by "
    "event type (seconds).",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
EVENT_LAG = Histogram(
    "billing_event_lag_seconds",
    "Time from an event's receipt by the web process to its final status (seconds).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
             3600.0, 21600.0, 86400.0),
)  # fmt: skip
OUTGOING_DELIVERIES = Counter(
    "billing_outgoing_deliveries_total",
    "Tries of outgoing webhooks, by outcome (delivered, retrying, failed: no try left).",
    ["outcome"],
)
RECONCILIATION_RUNS = Counter(
    "billing_reconciliation_runs_total",
    "Reconciliation runs ended, by status (finished, failed).",
    ["status"],
)
RECONCILIATION_DRIFT = Counter(
    "billing_reconciliation_drift_total",
    "Subscriptions and purchases a reconciliation run found different from Stripe.",
)
DELIVERY_OUTCOMES = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.PENDING: "retrying",
    DeliveryStatus.FAILED: "failed",
}


def count_final_status(
    event_type: str, status: EventStatus, lag: timedelta, applied_s: float | None
) -> None:
    """`applied_s`: the applying transaction's time, None when no handler ran (retries spent)."""
    EVENTS_PROCESSED.labels(event_type, status.value).inc()
    EVENT_LAG.observe(max(lag.total_seconds(), 0.0))  # the two clocks may differ a little
    if applied_s is not None:
        EVENT_PROCESSING.labels(event_type).observe(applied_s)


def count_delivery_try(status: DeliveryStatus) -> None:
    OUTGOING_DELIVERIES.labels(DELIVERY_OUTCOMES[status]).inc()


def count_reconciliation_run(status: str, drift_detected: int) -> None:
    RECONCILIATION_RUNS.labels(status).inc()
    RECONCILIATION_DRIFT.inc(drift_detected)
