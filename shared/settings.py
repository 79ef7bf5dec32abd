"""Configuration: read once from the environment into one typed object.

A bad value stops the process at start with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

StripeMode = Literal["live", "test", "both"]


class SettingsError(ValueError):
    """A variable holds a value the service cannot run with."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    stripe_secret_key: str | None
    webhook_secrets: tuple[str, ...]
    stripe_api_base: str | None
    webhook_tolerance_s: int
    admin_api_key: str | None
    reconciliation_enabled: bool
    reconciliation_schedule_hour: int
    reconciliation_days_back: int
    log_format: str
    event_max_retries: int
    event_min_backoff_ms: int
    event_max_backoff_ms: int
    event_lock_timeout_ms: int
    relay_after_s: int
    stripe_api_rate: int
    stripe_mode: StripeMode
    webhook_endpoints_allow_http: bool
    webhook_retry_delays_s: tuple[int, ...]
    webhook_timeout_s: float
    resync_wait_s: int
    log_level: str = "info"
    metrics_token: str | None = None  # bearer of GET /metrics and the worker's exposition
    worker_metrics_port: int = 9191

    @property
    def sync_database_url(self) -> str:
        """SQLAlchemy URL for the psycopg (sync) driver: workers, CLI, Alembic."""
        return _with_driver(self.database_url, "postgresql+psycopg")

    @property
    def asyncpg_dsn(self) -> str:
        """Plain libpq URL, as asyncpg wants it."""
        return _with_driver(self.database_url, "postgresql")


# Waits after the 1st, 2nd, … failed try of an outgoing webhook (CONTRACT section 9).
DEFAULT_RETRY_DELAYS_S = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_DAYS_BACK = 3650  # reconciliation look-back; Stripe keeps events for 30 days anyway
DEFAULT_DATABASE_URL = "postgresql://postgres@localhost:5432/billing"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        database_url=_postgres_url(env, "DATABASE_URL", DEFAULT_DATABASE_URL),
        redis_url=_redis_url(env, "REDIS_URL", DEFAULT_REDIS_URL),
        stripe_secret_key=_optional(env, "STRIPE_SECRET_KEY"),
        webhook_secrets=_secret_list(env, "STRIPE_WEBHOOK_SECRET"),
        stripe_api_base=_http_url(env, "STRIPE_API_BASE"),
        webhook_tolerance_s=_int(env, "STRIPE_WEBHOOK_TOLERANCE", 300, low=0),
        admin_api_key=_optional(env, "ADMIN_API_KEY"),
        reconciliation_enabled=_bool(env, "RECONCILIATION_ENABLED", True),
        reconciliation_schedule_hour=_int(env, "RECONCILIATION_SCHEDULE_HOUR", 2, low=0, high=23),
        reconciliation_days_back=_int(
            env, "RECONCILIATION_DAYS_BACK", 7, low=1, high=MAX_DAYS_BACK
        ),
        log_format=_choice(env, "LOG_FORMAT", "json", ("json", "console")),
        log_level=_choice(env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
        event_max_retries=_int(env, "EVENT_MAX_RETRIES", 8, low=0),
        event_min_backoff_ms=_int(env, "EVENT_MIN_BACKOFF_MS", 2_000, low=1),
        event_max_backoff_ms=_int(env, "EVENT_MAX_BACKOFF_MS", 300_000, low=1),
        event_lock_timeout_ms=_int(env, "EVENT_LOCK_TIMEOUT_MS", 500, low=1),
        relay_after_s=_int(env, "RELAY_AFTER_SECONDS", 60, low=1),
        stripe_api_rate=_int(env, "STRIPE_API_RATE", 20, low=0),
        stripe_mode=_stripe_mode(env),
        webhook_endpoints_allow_http=_bool(env, "WEBHOOK_ENDPOINTS_ALLOW_HTTP", False),
        webhook_retry_delays_s=_int_list(env, "WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS_S),
        webhook_timeout_s=float(_int(env, "WEBHOOK_TIMEOUT_SECONDS", 15, low=1, high=60)),
        resync_wait_s=_int(env, "RESYNC_WAIT_SECONDS", 60, low=1, high=600),
        metrics_token=_optional(env, "METRICS_TOKEN"),
        worker_metrics_port=_int(env, "WORKER_METRICS_PORT", 9191, low=1, high=65535),
    )


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _secret_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {bound}, got {value}")
    return value


def _stripe_mode(env: Mapping[str, str]) -> StripeMode:
    """Which events apply (CONTRACT section 2): by default the mode of STRIPE_SECRET_KEY."""
    raw = env.get("STRIPE_MODE", "").strip().lower()
    if raw:
        if raw not in ("live", "test", "both"):
            raise SettingsError(f"STRIPE_MODE must be one of live, test, both, got {raw!r}")
        return raw  # type: ignore[return-value]
    key = env.get("STRIPE_SECRET_KEY", "").strip()
    if key.startswith(("sk_live_", "rk_live_")):
        return "live"
    if key.startswith(("sk_test_", "rk_test_")):
        return "test"
    return "both"


def _int_list(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise SettingsError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if any(value < 0 for value in values):
        raise SettingsError(f"{name} must not be negative, got {raw!r}")
    return values


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _postgres_url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    scheme = urlsplit(raw).scheme.split("+")[0]
    if scheme not in ("postgresql", "postgres") or not urlsplit(raw).hostname:
        raise SettingsError(f"{name} must be a postgresql://user@host:port/db URL, got {raw!r}")
    return raw


def _redis_url(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise SettingsError(f"{name} must be a redis://host:port/db URL, got {raw!r}")
    return raw


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an http(s):// URL, got {raw!r}")
    return raw.rstrip("/")


def _with_driver(url: str, scheme: str) -> str:
    _, rest = url.split("://", 1)
    return f"{scheme}://{rest}"
