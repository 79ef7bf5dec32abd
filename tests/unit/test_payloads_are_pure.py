"""workers/payloads turns payloads into records without any database, network or Stripe library:
checked in a fresh interpreter, where nothing else has loaded them first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("sqlalchemy", "psycopg", "asyncpg", "redis", "stripe", "dramatiq")
PROBE = f"""
import json, sys
import workers.payloads.charge, workers.payloads.checkout_session, workers.payloads.customer
import workers.payloads.invoice, workers.payloads.payment_intent, workers.payloads.subscription
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({FORBIDDEN!r}))
print(json.dumps(loaded))
"""


def test_importing_every_payload_parser_loads_no_database_network_or_stripe_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_probe_would_notice_a_forbidden_import() -> None:
    """The same probe after importing a handler (which applies records with SQL) finds them."""
    probe = PROBE.replace("import json, sys", "import json, sys\nimport workers.handlers")
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "sqlalchemy" in json.loads(done.stdout)
