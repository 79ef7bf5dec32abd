"""The API tier: the whole HTTP API against its OpenAPI document, on the real stores.

Each test starts with empty tables and queue (like tests/db/) and gets one project with an
active app key, so that generated requests reach the authorized paths too.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection

from shared import tenants
from shared.settings import Settings
from tests.support.stores import ADMIN_TOKEN, run_db, settings_for

# Set so that POST /api/v1/admin/reconciliation queues a run instead of answering 503; no run is
# ever executed here (no worker), so the key is never sent anywhere.
STRIPE_KEY_NEVER_USED = "sk_test_schemathesis_never_used"


@dataclass(frozen=True)
class Credentials:
    project_id: str
    api_key: str
    admin_token: str


@pytest.fixture(scope="session")
def api_settings() -> Settings:
    return settings_for(STRIPE_SECRET_KEY=STRIPE_KEY_NEVER_USED, RESYNC_WAIT_SECONDS="1")


@pytest.fixture
def credentials(clean_db: object, clean_redis: object, api_settings: Settings) -> Credentials:
    """A fresh project with one app key, in emptied stores."""
    project_id = f"api-{secrets.token_hex(4)}"

    def create(tx: Connection) -> str:
        tenants.create_project(tx, project_id, "API tests")
        _, key = tenants.create_app(tx, project_id, "schemathesis")
        return key

    api_key = run_db(api_settings, create)
    return Credentials(project_id=project_id, api_key=api_key, admin_token=ADMIN_TOKEN)
