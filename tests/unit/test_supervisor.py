"""`billing worker`'s supervisor (cli/supervisor.py) on real child processes: when one ends the
rest are stopped, and its exit code is the parent's."""

from __future__ import annotations

import sys
import time

from cli.supervisor import supervise

PY = sys.executable


def test_first_child_to_end_stops_the_others_and_gives_its_code() -> None:
    started = time.monotonic()
    code = supervise([[PY, "-c", "import time; time.sleep(60)"], [PY, "-c", "raise SystemExit(3)"]])
    assert code == 3
    assert time.monotonic() - started < 30  # the sleeper was stopped, not waited for


def test_a_clean_exit_is_zero() -> None:
    assert supervise([[PY, "-c", "pass"]]) == 0
