"""The scenarios in the order `make faults` runs them (`secrets` always runs last)."""

from __future__ import annotations

from collections.abc import Callable

from tests.faults.scenarios import (
    Harness,
    Result,
    baseline,
    hostile_input,
    postgres_restarts,
    redis_outage,
    simultaneous_duplicates,
    stripe_api_faults,
    stripe_api_healthy,
    stuck_handler,
    worker_kill,
)

SCENARIOS: dict[str, Callable[[Harness], Result]] = {
    "baseline": baseline,
    "worker-kill": worker_kill,
    "redis-outage": redis_outage,
    "postgres-restarts": postgres_restarts,
    "duplicates-x4": simultaneous_duplicates,
    "stuck-handler": stuck_handler,
    "stripe-api": stripe_api_faults,
    "hostile-input": hostile_input,
}
# Run only when named with --scenario.
EXTRA: dict[str, Callable[[Harness], Result]] = {
    "stripe-api-healthy": stripe_api_healthy,
}
SHORT = ("baseline", "worker-kill", "redis-outage")
