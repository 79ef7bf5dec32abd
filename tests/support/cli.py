"""`billing …` run as a real subprocess with the test environment."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from tests.support.processes import BILLING, REPO_ROOT
from tests.support.stores import process_env


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        return self.out.rstrip("\n").splitlines()[-1]


def billing(*args: str, timeout_s: float = 60, **env_overrides: str) -> CliResult:
    done = subprocess.run(
        [*BILLING, *args],
        env=process_env(**env_overrides),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)
