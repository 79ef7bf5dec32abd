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

    @property
    def help_text(self) -> str:
        """A --help as one line of words: rich's boxes and line wrapping taken out."""
        return flatten_help(self.out)


def flatten_help(shown: str) -> str:
    return " ".join(shown.translate(BOX_DRAWING).split())


BOX_DRAWING = {code: " " for code in range(0x2500, 0x2580)}


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
