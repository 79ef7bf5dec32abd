"""The README's hand-signed curl works as printed, against a real `billing serve`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.support.processes import REPO_ROOT
from tests.support.signing import SECRET_B
from tests.support.stores import event_row, process_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _signed_curl_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    found = re.search(r"<!-- signed-curl[^>]*-->\s*```sh\n(.*?)```", readme, re.S)
    assert found, "README.md lost its <!-- signed-curl --> block"
    return found.group(1)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="curl/openssl")
def test_readme_signed_curl_event_is_stored(web_server, clean_db):
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _signed_curl_block()],
        env=process_env(SECRET=SECRET_B, BILLING_URL=web_server),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["received"] is True and answer["duplicate"] is False
    assert event_row(clean_db, answer["event_id"])["type"] == "customer.created"
