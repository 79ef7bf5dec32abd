"""Configuration: read once from the environment (and `.env`) into one typed object.

A bad value stops the process at start with a message naming the variable. Secrets are
`SecretStr` (URLs: `SecretUrl`, password masked), so no repr, log line or error shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import structlog
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from shared.secret_url import SecretUrl, check_postgres_url, check_redis_url, with_driver

StripeMode = Literal["live", "test", "both"]
LogFormat = Literal["json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]

# Waits after the 1st, 2nd, … failed try of an outgoing webhook (CONTRACT section 9).
DEFAULT_RETRY_DELAYS_S = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_DAYS_BACK = 3650  # reconciliation look-back; Stripe keeps events for 30 days anyway
DEFAULT_DATABASE_URL = "postgresql://postgres@localhost:5432/billing"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"
ENV_FILE = ".env"
# Variables whose value never appears in an error message (the URLs appear masked).
SECRET_VARIABLES = frozenset({"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ADMIN_API_KEY",
                              "METRICS_TOKEN"})  # fmt: skip
URL_VARIABLES = frozenset({"DATABASE_URL", "REDIS_URL"})
LOWER_CASE_VARIABLES = ("LOG_FORMAT", "LOG_LEVEL", "STRIPE_MODE")

log = structlog.get_logger("shared.settings")


class SettingsError(ValueError):
    """A variable holds a value the service cannot run with."""


def _var(name: str, default: Any, **constraints: Any) -> Any:
    """A field read from the environment variable `name`."""
    return Field(default, validation_alias=name, **constraints)


class Settings(BaseSettings):
    """Every variable of CONTRACT section 1, plus the service's tuning knobs."""

    model_config = SettingsConfigDict(
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        validate_default=True,
    )

    database_url: SecretUrl = _var("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url: SecretUrl = _var("REDIS_URL", DEFAULT_REDIS_URL)
    stripe_secret_key: SecretStr | None = _var("STRIPE_SECRET_KEY", None)
    webhook_secrets: Annotated[tuple[SecretStr, ...], NoDecode] = _var("STRIPE_WEBHOOK_SECRET", ())
    stripe_api_base: str | None = _var("STRIPE_API_BASE", None)
    webhook_tolerance_s: int = _var("STRIPE_WEBHOOK_TOLERANCE", 300, ge=0)
    admin_api_key: SecretStr | None = _var("ADMIN_API_KEY", None)
    metrics_token: SecretStr | None = _var("METRICS_TOKEN", None)
    worker_metrics_port: int = _var("WORKER_METRICS_PORT", 9191, ge=1, le=65535)
    reconciliation_enabled: bool = _var("RECONCILIATION_ENABLED", True)
    reconciliation_schedule_hour: int = _var("RECONCILIATION_SCHEDULE_HOUR", 2, ge=0, le=23)
    reconciliation_days_back: int = _var("RECONCILIATION_DAYS_BACK", 7, ge=1, le=MAX_DAYS_BACK)
    log_format: LogFormat = _var("LOG_FORMAT", "json")
    log_level: LogLevel = _var("LOG_LEVEL", "info")
    event_max_retries: int = _var("EVENT_MAX_RETRIES", 8, ge=0)
    event_min_backoff_ms: int = _var("EVENT_MIN_BACKOFF_MS", 2_000, ge=1)
    event_max_backoff_ms: int = _var("EVENT_MAX_BACKOFF_MS", 300_000, ge=1)
    event_lock_timeout_ms: int = _var("EVENT_LOCK_TIMEOUT_MS", 500, ge=1)
    relay_after_s: int = _var("RELAY_AFTER_SECONDS", 60, ge=1)
    stripe_api_rate: int = _var("STRIPE_API_RATE", 20, ge=0)
    stripe_mode: StripeMode = _var("STRIPE_MODE", "both")
    webhook_endpoints_allow_http: bool = _var("WEBHOOK_ENDPOINTS_ALLOW_HTTP", False)
    webhook_retry_delays_s: Annotated[tuple[int, ...], NoDecode] = _var(
        "WEBHOOK_RETRY_DELAYS", DEFAULT_RETRY_DELAYS_S
    )
    webhook_timeout_s: float = _var("WEBHOOK_TIMEOUT_SECONDS", 15.0, ge=1, le=60)
    resync_wait_s: int = _var("RESYNC_WAIT_SECONDS", 60, ge=1, le=600)

    @property
    def sync_database_url(self) -> str:
        """SQLAlchemy URL for the psycopg (sync) driver: workers, CLI, Alembic."""
        return with_driver(self.database_url.get_secret_value(), "postgresql+psycopg")

    @property
    def asyncpg_dsn(self) -> str:
        """Plain libpq URL, as asyncpg wants it."""
        return with_driver(self.database_url.get_secret_value(), "postgresql")

    @model_validator(mode="before")
    @classmethod
    def _unset_blank_values(cls, data: Any) -> Any:
        """A blank variable means unset; STRIPE_MODE defaults to the mode of the Stripe key."""
        if not isinstance(data, Mapping):
            return data
        values = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        values = {k: v for k, v in values.items() if v != ""}
        for name in LOWER_CASE_VARIABLES:
            if isinstance(values.get(name), str):
                values[name] = values[name].lower()
        if "STRIPE_MODE" not in values:
            values["STRIPE_MODE"] = _mode_of_key(str(values.get("STRIPE_SECRET_KEY", "")))
        return values

    @field_validator("database_url", mode="after")
    @classmethod
    def _postgres_url(cls, url: SecretUrl) -> SecretUrl:
        check_postgres_url(url.get_secret_value())
        return url

    @field_validator("redis_url", mode="after")
    @classmethod
    def _redis_url(cls, url: SecretUrl) -> SecretUrl:
        check_redis_url(url.get_secret_value())
        return url

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _comma_separated_secrets(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw

    @field_validator("webhook_retry_delays_s", mode="before")
    @classmethod
    def _comma_separated_seconds(cls, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw
        try:
            delays = tuple(int(part) for part in raw.split(","))
        except ValueError:
            raise ValueError("must be comma-separated seconds") from None
        if any(delay < 0 for delay in delays):
            raise ValueError("must not be negative")
        return delays

    @field_validator("stripe_api_base", mode="after")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s):// URL")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _backoff_range(self) -> Settings:
        if self.event_min_backoff_ms > self.event_max_backoff_ms:
            raise ValueError(
                f"EVENT_MIN_BACKOFF_MS ({self.event_min_backoff_ms}) must not exceed "
                f"EVENT_MAX_BACKOFF_MS ({self.event_max_backoff_ms})"
            )
        return self


def _mode_of_key(key: str) -> StripeMode:
    """Which events apply (CONTRACT section 2): by default the mode of STRIPE_SECRET_KEY."""
    if key.startswith(("sk_live_", "rk_live_")):
        return "live"
    if key.startswith(("sk_test_", "rk_test_")):
        return "test"
    return "both"


class _MappingSource(EnvSettingsSource):
    """The variables of a given mapping instead of the process's: tests never read the shell."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = {name.lower(): value for name, value in environ.items()}
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return self._environ


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The process's settings: the environment, then `.env` for what it leaves unset; or, given
    `environ`, that mapping alone. Raises SettingsError naming the variable."""
    try:
        if environ is None or environ is os.environ:
            return Settings()
        sources: tuple[tuple[PydanticBaseSettingsSource, ...], dict[str, Any]]
        sources = ((_MappingSource(Settings, environ),), {})
        # `_build_sources` is pydantic-settings' own argument, unknown to mypy's view of fields
        return Settings(_build_sources=sources)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError("; ".join(_describe(error) for error in exc.errors())) from None


def _describe(error: ErrorDetails) -> str:
    """One error as `VARIABLE message, got value`; never a secret's value."""
    message = error["msg"].removeprefix("Value error, ")
    if not error["loc"]:
        return message
    name = str(error["loc"][0])
    value = error.get("input")
    if name in SECRET_VARIABLES or not isinstance(value, str):
        return f"{name}: {message}"
    if name in URL_VARIABLES:
        value = str(SecretUrl(value))
    return f"{name}: {message}, got {value!r}"


def warn_about_unusual_values(settings: Settings) -> None:
    """Log (after logging is set up) values that work but are likely mistakes."""
    for position, secret in enumerate(settings.webhook_secrets, start=1):
        if not secret.get_secret_value().startswith("whsec_"):
            log.warning(
                "settings.webhook_secret_not_whsec",
                variable="STRIPE_WEBHOOK_SECRET",
                position=position,
                hint="Stripe's signing secrets start with whsec_: is this the API key?",
            )
