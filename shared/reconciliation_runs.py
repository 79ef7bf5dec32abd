"""Reconciliation runs as rows: shared by the worker that runs them, the CLI and the admin API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.isotime import iso_utc

SUMMARY_COUNTERS = (
    "subscriptions_checked",
    "purchases_checked",
    "events_replayed",
    "drift_detected",
    "corrected",
    "errors",
)
NO_STRIPE_KEY = (
    "reconciliation needs STRIPE_SECRET_KEY (a Stripe secret or restricted key with read access "
    "to events, subscriptions and payment intents); it is not set"
)


def new_run_id() -> str:
    return "rec_" + uuid.uuid4().hex


def summary_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's summary fields (section 7), from a reconciliation_runs row."""
    return {
        **{name: row[name] for name in SUMMARY_COUNTERS},
        "started_at": iso_utc(row["started_at"]),
        "finished_at": iso_utc(row["finished_at"]),
    }


def run_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run_id": row["id"],
        "status": row["status"],
        **summary_json(row),
        "days_back": row["days_back"],
        "trigger": row["trigger"],
        "error_message": row["error_message"],
    }
