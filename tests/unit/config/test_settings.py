"""Contract section 1: configuration read once; a bad value names its variable."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError, load_settings


def test_defaults_suit_a_local_machine():
    settings = load_settings({})
    assert (
        settings.database_url.get_secret_value() == "postgresql://postgres@localhost:5432/billing"
    )
    assert settings.redis_url.get_secret_value() == "redis://localhost:6379/0"
    assert settings.webhook_secrets == ()
    assert settings.webhook_tolerance_s == 300
    assert settings.admin_api_key is None
    assert settings.stripe_secret_key is None
    assert settings.reconciliation_enabled is True
    assert settings.reconciliation_schedule_hour == 2
    assert settings.reconciliation_days_back == 7
    assert settings.log_format == "json"
    assert settings.metrics_token is None
    assert settings.worker_metrics_port == 9191


def test_metrics_variables_are_read():
    settings = load_settings({"METRICS_TOKEN": " scrape-me ", "WORKER_METRICS_PORT": "9300"})
    assert settings.metrics_token is not None
    assert settings.metrics_token.get_secret_value() == "scrape-me"
    assert settings.worker_metrics_port == 9300


def test_plain_postgresql_url_works_for_every_driver():
    settings = load_settings({"DATABASE_URL": "postgresql://app:s3cret@db.internal:5433/billing"})
    assert settings.sync_database_url == "postgresql+psycopg://app:s3cret@db.internal:5433/billing"
    assert settings.asyncpg_dsn == "postgresql://app:s3cret@db.internal:5433/billing"


def test_postgres_scheme_alias_is_accepted():
    settings = load_settings({"DATABASE_URL": "postgres://u@h/db"})
    assert settings.sync_database_url == "postgresql+psycopg://u@h/db"


def test_comma_separated_webhook_secrets():
    settings = load_settings({"STRIPE_WEBHOOK_SECRET": " whsec_old , whsec_new,,"})
    assert _plain(settings.webhook_secrets) == ("whsec_old", "whsec_new")


def test_single_webhook_secret():
    secrets = load_settings({"STRIPE_WEBHOOK_SECRET": "whsec_one"}).webhook_secrets
    assert _plain(secrets) == ("whsec_one",)


def test_empty_values_mean_unset():
    settings = load_settings({"ADMIN_API_KEY": "  ", "STRIPE_SECRET_KEY": "", "LOG_FORMAT": ""})
    assert settings.admin_api_key is None and settings.stripe_secret_key is None
    assert settings.log_format == "json"


def test_values_are_read_from_their_variables():
    settings = load_settings(
        {
            "STRIPE_WEBHOOK_TOLERANCE": "60",
            "ADMIN_API_KEY": "tok",
            "RECONCILIATION_ENABLED": "false",
            "RECONCILIATION_SCHEDULE_HOUR": "23",
            "RECONCILIATION_DAYS_BACK": "30",
            "LOG_FORMAT": "console",
            "STRIPE_API_BASE": "http://localhost:8420/",
        }
    )
    assert settings.webhook_tolerance_s == 60
    assert settings.admin_api_key is not None and settings.admin_api_key.get_secret_value() == "tok"
    assert settings.reconciliation_enabled is False
    assert settings.reconciliation_schedule_hour == 23
    assert settings.reconciliation_days_back == 30
    assert settings.log_format == "console"
    assert settings.stripe_api_base == "http://localhost:8420"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RECONCILIATION_SCHEDULE_HOUR", "25"),
        ("RECONCILIATION_SCHEDULE_HOUR", "-1"),
        ("RECONCILIATION_SCHEDULE_HOUR", "two"),
        ("RECONCILIATION_DAYS_BACK", "0"),
        ("RECONCILIATION_ENABLED", "maybe"),
        ("STRIPE_WEBHOOK_TOLERANCE", "-5"),
        ("STRIPE_WEBHOOK_TOLERANCE", "5m"),
        ("DATABASE_URL", "notaurl"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("REDIS_URL", "notaurl"),
        ("REDIS_URL", "http://localhost:6379"),
        ("STRIPE_API_BASE", "localhost:8420"),
        ("LOG_FORMAT", "xml"),
        ("EVENT_MAX_RETRIES", "-1"),
        ("RELAY_AFTER_SECONDS", "0"),
        ("WORKER_METRICS_PORT", "0"),
        ("WORKER_METRICS_PORT", "65536"),
        ("WORKER_METRICS_PORT", "metrics"),
    ],
)
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def _plain(secrets):
    return tuple(secret.get_secret_value() for secret in secrets)
