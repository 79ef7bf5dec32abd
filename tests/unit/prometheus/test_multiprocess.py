"""Several processes count into one directory and any of them answers with the sum (what
`billing serve --workers N` and `billing worker` rely on); the directory is their parent's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from shared.prometheus.exposition import exposition_text, token_accepted
from shared.prometheus.multiprocess import fresh_metrics_directory, multiprocess_environment
from tests.support.processes import REPO_ROOT

# A process that imports the web's metrics first, then is told where to count: as `billing
# serve` is, whose CLI may have imported prometheus_client before it knew the directory.
COUNT_WEBHOOKS = """
import sys
from pathlib import Path
from ingress.prometheus.web_metrics import WebhookOutcome, count_webhook, observe_request
from shared.prometheus.multiprocess import count_into
count_into(Path(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    count_webhook("customer.created", WebhookOutcome.NEW)
    observe_request("/api/v1/webhooks/stripe", 200, 0.004)
"""


def _count_in_a_process(directory: Path, times: int) -> None:
    subprocess.run(
        [sys.executable, "-c", COUNT_WEBHOOKS, str(directory), str(times)],
        cwd=REPO_ROOT,
        check=True,
        env={k: v for k, v in os.environ.items() if k not in multiprocess_environment(directory)},
    )


def _value(text: str, name: str) -> float:
    (value,) = (
        s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name
    )
    return value


def test_the_counts_of_every_process_are_added_up():
    with fresh_metrics_directory("test") as directory:
        _count_in_a_process(directory, 3)
        _count_in_a_process(directory, 4)
        text = exposition_text(str(directory)).decode()
    assert _value(text, "billing_webhooks_received_total") == 7
    assert _value(text, "billing_http_requests_total") == 7
    assert _value(text, "billing_http_request_duration_seconds_count") == 7


def test_a_directory_is_emptied_at_start_and_removed_at_the_end():
    with fresh_metrics_directory("test") as directory:
        assert directory.name == f"billing-test-metrics-{os.getpid()}"
        (directory / "counter_1.db").write_bytes(b"old")
    with fresh_metrics_directory("test") as again:
        assert again == directory and list(again.iterdir()) == []
    assert not directory.exists()


def test_the_directory_of_a_parent_no_longer_alive_is_removed():
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    with fresh_metrics_directory("test") as directory:
        stale = directory.parent / f"billing-test-metrics-{finished.stdout.strip()}"
        stale.mkdir()
    with fresh_metrics_directory("test"):
        assert not stale.exists()


def test_a_token_is_a_bearer_compared_whole():
    token = SecretStr("s3cret")
    assert token_accepted(None, None) and token_accepted("anything", SecretStr(""))
    assert token_accepted("Bearer s3cret", token) and token_accepted("bearer  s3cret ", token)
    for header in (None, "", "s3cret", "Bearer", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret"):
        assert not token_accepted(header, token), header
