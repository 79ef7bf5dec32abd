"""Subcommands that run or prepare a process: createdb, migrate, serve, worker, scheduler.
(`make run` starts the Procfile's processes together, under honcho.)"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.supervisor import supervise
from shared.prometheus.multiprocess import (
    count_into,
    fresh_metrics_directory,
    multiprocess_environment,
)
from shared.refusals import Refused
from shared.settings import Settings, SettingsError, load_settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "alembic.ini"


def register(app: typer.Typer) -> None:
    app.command("createdb", help="Create the database of DATABASE_URL if it is missing.")(createdb)
    app.command(
        "migrate",
        help="Create the database if it is missing and upgrade its schema to the newest migration.",
    )(migrate)
    app.command("serve", help="Run the web process (webhooks, health, APIs).")(serve)
    app.command(
        "worker",
        help="Run the Dramatiq workers (events, maintenance, outgoing webhooks, Stripe "
        "look-ups). Stripe API look-ups (enrichment) run in a process of their own with "
        "--enrichment-threads threads and a lower CPU priority, so a slow or unreachable Stripe "
        "API never takes the threads that apply events; 0 runs them in the same pool.",
    )(worker)
    app.command("scheduler", help="Run the clock: the relay and the daily reconciliation.")(
        scheduler
    )


def createdb() -> int:
    _create_database_if_missing(required=True)
    return 0


def _create_database_if_missing(required: bool = False) -> None:
    """`migrate` on a fresh machine: create the database first when the role may.

    Without that right (a managed database whose owner made it already) `migrate` goes on and
    Alembic reports any real connection problem itself."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(load_settings().sync_database_url)
    if not url.database:
        raise SettingsError("DATABASE_URL names no database (…:5432/<name>)")
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,))
            if found.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
                print(f"created database {url.database}")
    except psycopg.Error:
        if required:
            raise


def migrate(
    revision: Annotated[str, typer.Option(help="Upgrade to this revision.")] = "head",
) -> int:
    from alembic import command
    from alembic.config import Config

    settings = load_settings()
    _create_database_if_missing()
    config = Config(str(MIGRATIONS))
    config.attributes["database_url"] = settings.sync_database_url
    command.upgrade(config, revision)
    print(f"database migrated to {revision}")
    return 0


class SchemaBehind(Refused):
    """The database's schema is older than this code's migrations."""


def _require_newest_schema(settings: Settings) -> None:
    from shared.db import schema_version
    from shared.db.engine import create_sync_engine

    engine = create_sync_engine(settings, pool_size=1)
    try:
        reason = schema_version.check(engine)
    finally:
        engine.dispose()
    if reason is not None:
        raise SchemaBehind(f"database schema {reason}")


def serve(
    host: Annotated[str, typer.Option(help="Bind to this address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Listen on this port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Run N uvicorn worker processes.")] = 1,
) -> int:
    import uvicorn

    from ingress.app import require_webhook_secrets
    from ingress.http_protocol import CoalescingHttpToolsProtocol

    settings = load_settings()
    require_webhook_secrets(settings)
    _require_newest_schema(settings)
    # --workers N: N processes, each answering /metrics with the counts of all of them
    with fresh_metrics_directory("web") as metrics_directory:
        count_into(metrics_directory)
        uvicorn.run(
            "ingress.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            http=CoalescingHttpToolsProtocol,
        )
    return 0


def worker(
    processes: Annotated[int, typer.Option(min=1, help="Run N worker processes.")] = 2,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="Run N threads a process (the events of threads waiting while a batch is "
            "applied form the next batch).",
        ),
    ] = 16,
    enrichment_threads: Annotated[
        int,
        typer.Option(
            min=0,
            help="Run N threads in the Stripe look-up process (0: no such process, look-ups "
            "share the threads above).",
        ),
    ] = 2,
) -> int:
    from shared.queue import ENRICHMENT_QUEUE, EVENTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE
    from workers.prometheus.exposition_server import start_exposition_server

    # a bad variable or an old schema stops here, in one line, before any process forks
    settings = load_settings()
    _require_newest_schema(settings)
    dramatiq = [sys.executable, "-m", "dramatiq", "workers.main", "--skip-logging"]
    pool = [*dramatiq, "--processes", str(processes), "--threads", str(threads)]
    commands = [pool]
    if enrichment_threads > 0:
        commands = [
            [*pool, "--queues", EVENTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE],
            [*_lower_priority(), *dramatiq, "--processes", "1",
             "--threads", str(enrichment_threads), "--queues", ENRICHMENT_QUEUE],
        ]  # fmt: skip
    # One exposition (WORKER_METRICS_PORT) for every process of both Dramatiq invocations.
    with fresh_metrics_directory("worker") as metrics_directory:
        server = start_exposition_server(
            settings.worker_metrics_port, metrics_directory, settings.metrics_token
        )
        try:
            env = {**os.environ, **multiprocess_environment(metrics_directory)}
            return supervise(commands, env=env)
        finally:
            server.shutdown()


LOOKUP_NICENESS = 10


def _lower_priority() -> list[str]:
    """The look-up process runs below the events' processes: on busy cores its work (Stripe's
    client, the links it writes) waits for idle time instead of slowing the events it is beside.
    `nice` is POSIX; without it the process runs at the normal priority."""
    nice = shutil.which("nice")
    return [nice, "-n", str(LOOKUP_NICENESS)] if nice else []


def scheduler() -> int:
    from workers.scheduler_main import run_scheduler

    _require_newest_schema(load_settings())  # like serve and worker: never on an old schema
    return run_scheduler()
