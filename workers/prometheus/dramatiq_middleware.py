"""Dramatiq's own metrics (messages, errors, retries, durations by queue and actor), without the
exposition server the middleware would fork in every Dramatiq invocation: `billing worker` runs
two (events and enrichment) and serves one exposition for both
(workers/prometheus/exposition_server.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dramatiq.middleware.prometheus import Prometheus


class DramatiqMetrics(Prometheus):
    @property
    def forks(self) -> list[Callable[..., Any]]:
        return []
