"""LOG_LEVEL filters structlog's and the libraries' lines alike, a library's exception is
logged with its stack (not `<traceback object at …>`), and console logs have no colour codes
when stderr is not a terminal. Run in a child process: logging's set-up is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.processes import REPO_ROOT

SCRIPT = """
import logging, structlog
from shared.log_setup import configure_logging
configure_logging({fmt!r}, {level!r})
structlog.get_logger("t").info("info.line")
structlog.get_logger("t").warning("warning.line")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("dramatiq.worker").error("Failed to process message", exc_info=True)
"""


def _run(fmt: str, level: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(fmt=fmt, level=level)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stderr


def test_level_filters_and_library_exceptions_carry_their_stack():
    lines = [json.loads(line) for line in _run("json", "warning").splitlines()]
    assert [line["event"] for line in lines] == ["warning.line", "Failed to process message"]
    failed = lines[1]
    assert "Traceback" in failed["exception"] and "ZeroDivisionError" in failed["exception"]
    assert "traceback object" not in json.dumps(failed)
    assert "info.line" in _run("json", "info")


def test_console_logs_have_no_colour_codes_in_a_pipe():
    out = _run("console", "info")
    assert "info.line" in out and "ZeroDivisionError" in out
    assert "\x1b[" not in out


RICH_SCRIPT = """
import logging, sys, structlog
from rich.console import Console
from shared.log_setup import configure_logging
configure_logging("json", "info", console=Console(file=sys.stderr, width=200))
structlog.get_logger("t").info("import.page", pages=3)
logging.getLogger("dramatiq.worker").warning("a library line")
"""


def test_on_a_terminal_structlog_and_library_lines_share_rich_s_handler():
    done = subprocess.run(
        [sys.executable, "-c", RICH_SCRIPT],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and not any(line.startswith("{") for line in lines), lines
    assert "INFO" in lines[0] and "import.page" in lines[0] and "pages=3" in lines[0]
    assert "WARNING" in lines[1] and "a library line" in lines[1]
