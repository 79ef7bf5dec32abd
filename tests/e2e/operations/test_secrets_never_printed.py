"""A failing start never prints the passwords of DATABASE_URL and REDIS_URL, nor a secret:
whether a store cannot be reached or a setting is bad, on stdout or stderr (the logs)."""

from __future__ import annotations

import subprocess

import pytest

from tests.support import processes

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

DB_PASSWORD = "s3cr3t-pw"
REDIS_PASSWORD = "r3d1s-pw"
SECRETS = {
    "DATABASE_URL": f"postgresql://postgres:{DB_PASSWORD}@localhost:1/nowhere",
    "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
    "STRIPE_SECRET_KEY": "sk_test_k3y-value",
    "STRIPE_WEBHOOK_SECRET": "whsec_w3bhook-value",
    "ADMIN_API_KEY": "adm1n-value",
    "METRICS_TOKEN": "m3trics-value",
}
NEVER_SHOWN = [DB_PASSWORD, REDIS_PASSWORD, "k3y-value", "w3bhook-value", "adm1n-value",
               "m3trics-value"]  # fmt: skip
PROCESSES = [
    ["serve", "--port", "1"],
    ["worker", "--processes", "1", "--threads", "1"],
    ["scheduler"],
    ["migrate"],
    ["events", "list"],
]
LISTING = [["projects", "list"]]
# (case, variables over SECRETS, the commands run): every process on an unreachable store and
# on a bad value; a bad URL is refused by the one settings loader all commands share.
CASES = [
    ("store unreachable", {}, PROCESSES),
    ("bad RECONCILIATION_SCHEDULE_HOUR", {"RECONCILIATION_SCHEDULE_HOUR": "25"}, PROCESSES),
    ("bad DATABASE_URL", {"DATABASE_URL": f"mysql://postgres:{DB_PASSWORD}@localhost/db"}, LISTING),
    ("bad REDIS_URL", {"REDIS_URL": f"http://:{REDIS_PASSWORD}@localhost:6379"}, LISTING),
]


@pytest.mark.parametrize(("case", "variables", "commands"), CASES, ids=[c[0] for c in CASES])
def test_a_failing_start_prints_no_password_or_secret(
    case: str, variables: dict[str, str], commands: list[list[str]], env: dict[str, str]
) -> None:
    env = {**env, **SECRETS, **variables}
    started = [
        (command, subprocess.Popen(
            [*processes.BILLING, *command], env=env, cwd=processes.REPO_ROOT,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
        for command in commands
    ]  # fmt: skip
    for command, popen in started:
        stdout, stderr = popen.communicate(timeout=60)
        output = (stdout + stderr).decode(errors="replace")
        assert popen.returncode != 0, (command, output)
        assert output.strip(), f"{command} failed without a word"
        shown = [secret for secret in NEVER_SHOWN if secret in output]
        assert not shown, (command, output)
        assert "Traceback" not in output, (command, output)
        if case.startswith("bad "):
            assert f"configuration error: {case.removeprefix('bad ')}" in output, output
