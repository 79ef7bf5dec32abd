"""A PostgreSQL cluster and a Redis server of the fault suite's own, on free loopback ports, so
that a scenario may stop, kill and restart them without touching the machine's shared ones
(PostgreSQL on 5432 and Redis on 6379 are never signalled)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg
import redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def newest_postgres_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    return Path(found[-1])


def _as_postgres(argv: list[str], log: Path | None = None, timeout: float = 60) -> None:
    """Run a PostgreSQL tool as the `postgres` user (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        subprocess.run(
            prefix + argv,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if log:
            out.close()  # type: ignore[union-attr]


class PrivatePostgres:
    """initdb into `root/pgdata`, served on a free port with its socket in `root/pgsock`."""

    def __init__(self, root: Path, log_dir: Path) -> None:
        self.bin = newest_postgres_bin()
        self.root = root
        self.data = root / "pgdata"
        self.sockdir = root / "pgsock"
        self.log = log_dir / "postgres.log"
        self.port = free_port()
        self.password = ""
        self.running = False

    def init(self, password: str) -> None:
        for path in (self.data, self.sockdir):
            path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for path in (self.data, self.sockdir):
                os.chown(path, pg.pw_uid, pg.pw_gid)
            self.log.touch()
            os.chown(self.log, pg.pw_uid, pg.pw_gid)
        os.chmod(self.data, 0o700)
        _as_postgres(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            self.log,
        )
        self.start()
        # Trust auth still accepts any password; a password in DATABASE_URL lets the secrets
        # scenario look for it in the logs.
        self.password = password
        with self.admin_connection() as conn:
            conn.execute(f"ALTER USER postgres PASSWORD '{password}'")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c shared_buffers=64MB"
        )
        _as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            None,
        )
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
        self.running = False

    def url(self, database: str = "billing") -> str:
        auth = f"postgres:{self.password}" if self.password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def admin_connection(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )

    def drop_database(self, name: str) -> None:
        with self.admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def shutdown(self) -> None:
        if self.data.exists():
            with contextlib.suppress(Exception):
                _as_postgres(
                    [
                        str(self.bin / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ],
                    timeout=30,
                )
        self.running = False
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.sockdir, ignore_errors=True)


class PrivateRedis:
    """`redis-server` without persistence on a free port; stopping it loses every queue."""

    def __init__(self, root: Path, log_dir: Path) -> None:
        self.root = root
        self.log_dir = log_dir
        self.port = free_port()
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / "redis.log").open("ab")
        self.popen = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                pass
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        self.popen = None

    def shutdown(self) -> None:
        self.stop()
