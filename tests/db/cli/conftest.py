"""`billing …` in-process: the same main() as the console script, its stdout and stderr
captured, the environment of the test stores (with overrides) in place of the process's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import structlog.testing

from cli.main import main
from tests.support.cli import CliResult
from tests.support.stores import SERVICE_VARIABLES, TEST_ENV

InProcess = Callable[..., CliResult]


@pytest.fixture
def billing_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> InProcess:
    """A subprocess costs about a second; this costs milliseconds and runs the same code."""

    def run(*args: str, **env_overrides: str) -> CliResult:
        for name in SERVICE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in {**TEST_ENV, **env_overrides}.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        with structlog.testing.capture_logs():  # a process logs to stderr; here, nowhere
            code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
