"""A store error a user can cause, said in one line: which store, what went wrong, what to check.

Whichever driver raised it (psycopg, asyncpg, SQLAlchemy's wrappers of them, redis, dramatiq's
broker), the line never carries a traceback, an SQL statement or the password of a URL."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit

import asyncpg
import dramatiq.errors
import psycopg
import redis.exceptions
import sqlalchemy.exc

STORE_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.SQLAlchemyError,
    psycopg.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    redis.exceptions.RedisError,
    dramatiq.errors.BrokerConnectionError,
    OSError,
)
# SQLSTATEs of a schema older than the code: undefined table, column, function, object.
SCHEMA_BEHIND_STATES = {"42P01", "42703", "42883", "42704"}
INSUFFICIENT_PRIVILEGE = "42501"
URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
URL_VARIABLES = ("DATABASE_URL", "REDIS_URL")


def describe_store_error(exc: BaseException) -> str:
    """The one line printed after `billing: ` for a store error."""
    driver_error = _driver_error(exc)
    if _is_redis(driver_error):
        return redact(f"Redis: {_first_line(driver_error)} (check REDIS_URL and that Redis runs)")
    state = _sqlstate(driver_error)
    if state in SCHEMA_BEHIND_STATES:
        reason = _schema_reason()
        if reason is not None:
            return f"database schema {reason}"
    if state == INSUFFICIENT_PRIVILEGE:
        return redact(
            f"database: {_first_line(driver_error)} (the role of DATABASE_URL lacks a grant)"
        )
    if isinstance(driver_error, OSError) and not _is_database(driver_error):
        return redact(f"cannot reach a store (check DATABASE_URL / REDIS_URL): {driver_error}")
    return redact(f"database: {_first_line(driver_error)} (check DATABASE_URL)")


def redact(line: str) -> str:
    """Without the password of any URL in the line or of DATABASE_URL and REDIS_URL."""
    for password in _configured_passwords():
        line = line.replace(password, "***")
    return URL_PASSWORD.sub(r"\1***@", line)


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's or dramatiq's wrapper."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        orig: BaseException | None = exc.orig
        if orig is not None:
            return orig
    cause = exc.__cause__
    if isinstance(exc, dramatiq.errors.BrokerConnectionError) and cause is not None:
        return cause
    return exc


def _is_redis(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.RedisError | dramatiq.errors.BrokerConnectionError)


def _is_database(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.Error | asyncpg.PostgresError)


def _sqlstate(exc: BaseException) -> str | None:
    if isinstance(exc, psycopg.Error):
        return exc.sqlstate
    if isinstance(exc, asyncpg.PostgresError):
        return str(exc.sqlstate)
    return None


def _schema_reason() -> str | None:
    """Why the schema is behind, when that explains the error (None when it is the newest)."""
    from shared.db import schema_version
    from shared.db.engine import create_sync_engine
    from shared.settings import load_settings

    engine = create_sync_engine(load_settings(), pool_size=1)
    try:
        return schema_version.check(engine)
    except Exception:  # the check needs the database the error came from: say what we know
        return None
    finally:
        engine.dispose()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    return text.splitlines()[0].replace("FATAL:  ", "").strip()


def _configured_passwords() -> list[str]:
    found = []
    for name in URL_VARIABLES:
        try:
            password = urlsplit(os.environ.get(name, "")).password
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    return sorted(set(found), key=len, reverse=True)
