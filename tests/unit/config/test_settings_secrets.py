"""Settings beyond the basics: secrets never shown, `.env`, socket URLs, cross-field checks."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from shared.settings import SettingsError, load_settings, warn_about_unusual_values
from tests.support.stores import SERVICE_VARIABLES

SECRETS = {
    "DATABASE_URL": "postgresql://app:db-pw-123@db.internal:5432/billing",
    "REDIS_URL": "redis://:redis-pw-456@cache.internal:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_key789",
    "STRIPE_WEBHOOK_SECRET": "whsec_one111,whsec_two222",
    "ADMIN_API_KEY": "admin-key-333",
    "METRICS_TOKEN": "metrics-token-444",
}
SECRET_VALUES = ["db-pw-123", "redis-pw-456", "key789", "one111", "two222", "admin-key-333",
                 "metrics-token-444"]  # fmt: skip


def test_repr_and_str_never_show_a_secret():
    settings = load_settings(SECRETS)
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    for value in SECRET_VALUES:
        assert value not in shown
    assert "db.internal" in repr(settings.database_url), "the host stays readable"


def test_drivers_get_the_whole_values():
    settings = load_settings(SECRETS)
    assert "db-pw-123" in settings.sync_database_url and "db-pw-123" in settings.asyncpg_dsn
    assert settings.redis_url.get_secret_value() == SECRETS["REDIS_URL"]
    assert settings.admin_api_key is not None
    assert settings.admin_api_key.get_secret_value() == "admin-key-333"
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == "metrics-token-444"


@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("DATABASE_URL", "mysql://app:db-pw-123@h/db", "db-pw-123"),
        ("DATABASE_URL", "postgresql://app:db-pw-123@h:port/db", "db-pw-123"),
        ("DATABASE_URL", "mysql://h/db?password=db-pw-123", "db-pw-123"),
        ("REDIS_URL", "http://:redis-pw-456@h:6379", "redis-pw-456"),
    ],
)
def test_a_bad_url_is_named_with_its_password_masked(variable, value, secret):
    with pytest.raises(SettingsError, match=variable) as raised:
        load_settings({variable: value})
    assert secret not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is not None


def test_contract_defaults_of_the_metrics_variables():
    settings = load_settings({})
    assert settings.metrics_token is None
    assert settings.worker_metrics_port == 9191
    assert load_settings({"WORKER_METRICS_PORT": "9300"}).worker_metrics_port == 9300


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WORKER_METRICS_PORT", "0"),
        ("WORKER_METRICS_PORT", "70000"),
        ("WORKER_METRICS_PORT", "http"),
        ("LOG_LEVEL", "verbose"),
        ("STRIPE_MODE", "prod"),
        ("WEBHOOK_ENDPOINTS_ALLOW_HTTP", "perhaps"),
        ("WEBHOOK_RETRY_DELAYS", "5,x"),
        ("WEBHOOK_RETRY_DELAYS", "5,-1"),
        ("WEBHOOK_TIMEOUT_SECONDS", "120"),
        ("RESYNC_WAIT_SECONDS", "0"),
        ("REDIS_URL", "unix://"),
    ],
)
def test_more_bad_values_name_their_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_min_backoff_above_max_backoff_names_both():
    with pytest.raises(SettingsError, match="EVENT_MIN_BACKOFF_MS.*EVENT_MAX_BACKOFF_MS"):
        load_settings({"EVENT_MIN_BACKOFF_MS": "5000", "EVENT_MAX_BACKOFF_MS": "1000"})
    equal = load_settings({"EVENT_MIN_BACKOFF_MS": "1000", "EVENT_MAX_BACKOFF_MS": "1000"})
    assert equal.event_min_backoff_ms == equal.event_max_backoff_ms == 1000


def test_choices_ignore_case_and_spaces():
    settings = load_settings({"LOG_FORMAT": " Console ", "LOG_LEVEL": "DEBUG"})
    assert (settings.log_format, settings.log_level) == ("console", "debug")


@pytest.mark.parametrize(
    ("url", "sync_url", "asyncpg_dsn"),
    [
        (
            "postgresql:///billing?host=/var/run/postgresql",
            "postgresql+psycopg:///billing?host=/var/run/postgresql",
            "postgresql:///billing?host=/var/run/postgresql",
        ),
        (
            "postgresql://app@%2Fvar%2Frun%2Fpostgresql/billing",
            "postgresql+psycopg://app@/billing?host=/var/run/postgresql",
            "postgresql://app@/billing?host=/var/run/postgresql",
        ),
        (
            "postgres://app:pw@%2Ftmp:5433/billing?sslmode=disable",
            "postgresql+psycopg://app:pw@/billing?sslmode=disable&host=/tmp&port=5433",
            "postgresql://app:pw@/billing?sslmode=disable&host=/tmp&port=5433",
        ),
    ],
)
def test_libpq_socket_forms_reach_both_drivers_in_a_form_they_read(url, sync_url, asyncpg_dsn):
    settings = load_settings({"DATABASE_URL": url})
    assert settings.sync_database_url == sync_url
    assert settings.asyncpg_dsn == asyncpg_dsn


def test_unix_socket_redis_url_is_accepted():
    url = "unix:///var/run/redis/redis.sock?db=2"
    assert load_settings({"REDIS_URL": url}).redis_url.get_secret_value() == url


def test_dotenv_fills_what_the_environment_leaves_unset(tmp_path, monkeypatch):
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        "# comment\nADMIN_API_KEY=from-dotenv\nRECONCILIATION_SCHEDULE_HOUR=5\nLOG_FORMAT=console\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILIATION_SCHEDULE_HOUR", "7")
    settings = load_settings()
    assert settings.admin_api_key is not None
    assert settings.admin_api_key.get_secret_value() == "from-dotenv"
    assert settings.reconciliation_schedule_hour == 7, "the environment wins over .env"
    assert settings.log_format == "console"


def test_a_bad_value_in_dotenv_names_its_variable(tmp_path, monkeypatch):
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("RECONCILIATION_DAYS_BACK=0\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match="RECONCILIATION_DAYS_BACK"):
        load_settings()


def test_an_explicit_mapping_ignores_the_environment_and_dotenv(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("ADMIN_API_KEY=from-dotenv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILIATION_SCHEDULE_HOUR", "7")
    settings = load_settings({})
    assert settings.admin_api_key is None and settings.reconciliation_schedule_hour == 2


def test_a_webhook_secret_without_whsec_is_warned_about_without_its_value():
    settings = load_settings({"STRIPE_WEBHOOK_SECRET": "whsec_good,sk_test_pasted-by-mistake"})
    with capture_logs() as logs:
        warn_about_unusual_values(settings)
    assert [entry["event"] for entry in logs] == ["settings.webhook_secret_not_whsec"]
    assert logs[0]["position"] == 2 and logs[0]["log_level"] == "warning"
    assert "pasted-by-mistake" not in str(logs)
    with capture_logs() as logs:
        warn_about_unusual_values(load_settings({"STRIPE_WEBHOOK_SECRET": "whsec_a,whsec_b"}))
    assert logs == []
