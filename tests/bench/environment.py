"""Where the benches run: the `billing_bench` database and Redis db 14 (BENCH_DATABASE_URL and
BENCH_REDIS_URL move them, e.g. to keep out of another bench's way), the environment each
service process gets, and the machine's description for RESULTS.md.

The service environment starts from the caller's minus every variable of the service, so a
developer's shell (a real STRIPE_SECRET_KEY, say) never leaks into a measurement.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from shared.db.engine import SESSION_SETTINGS
from tests.support.stores import SERVICE_VARIABLES

DATABASE = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@localhost:5432/billing_bench"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/8")
WEBHOOK_SECRET = "whsec_bench"
PROJECT = "acme"
REPO = Path(__file__).resolve().parents[2]
BILLING = [sys.executable, "-m", "cli.main"]


def service_env(**extra: str) -> dict[str, str]:
    """What `billing serve`/`billing worker` and the bare endpoints run with."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SERVICE_VARIABLES and not k.startswith(("STRIPE_", "METRICS_", "ADMIN_"))
    }
    env.update(
        DATABASE_URL=DATABASE,
        REDIS_URL=REDIS,
        BENCH_DATABASE_URL=DATABASE,
        BENCH_REDIS_URL=REDIS,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOG_FORMAT="json",
        RECONCILIATION_ENABLED="false",
    )
    env.update(extra)
    return env


def prepare_database() -> Engine:
    """Create and migrate the bench database if needed; an engine on it (no pool: the bench
    never holds a connection while a service runs)."""
    for step in (["createdb"], ["migrate"]):
        subprocess.run(
            [*BILLING, *step], env=service_env(), check=True, cwd=REPO, stdout=subprocess.DEVNULL
        )
    options = " ".join(f"-c {name}={value}" for name, value in SESSION_SETTINGS.items())
    return create_engine(  # the sessions the service opens (no JIT)
        DATABASE.replace("postgresql://", "postgresql+psycopg://", 1),
        poolclass=NullPool,
        connect_args={"options": options},
    )


def flush_redis() -> None:
    redis.Redis.from_url(REDIS).flushdb()


def machine(engine: Engine) -> dict[str, str]:
    """CPU, cores, Python, PostgreSQL, Redis, date and the commit measured."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with engine.connect() as conn:
        postgres = str(conn.execute(text("SHOW server_version")).scalar_one())
    redis_version = str(redis.Redis.from_url(REDIS).info("server")["redis_version"])
    head = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "Python": platform.python_version(),
        "PostgreSQL": postgres,
        "Redis": redis_version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": head + (" (with uncommitted changes)" if dirty else ""),
    }


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip()
