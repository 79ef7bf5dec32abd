"""The text a scrape gets, and who may have it (bearer METRICS_TOKEN when set)."""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from pydantic import SecretStr

# The text format every Prometheus reads (what prometheus_client itself answers by default).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class _ThisProcess(Collector):
    """The default registry (this process's metrics, when no directory is shared)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition_text(directory: str | None, extra: Iterable[Collector] = ()) -> bytes:
    """Every process's metrics when they count into `directory`, else this process's; plus
    `extra` collectors (values read at scrape time)."""
    registry = CollectorRegistry(auto_describe=False)
    if directory:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


def token_accepted(authorization: str | None, token: SecretStr | None) -> bool:
    """True when no token is configured, or the header is `Bearer <token>`."""
    if token is None or not token.get_secret_value():
        return True
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
