"""Contract section 4's authentication (ingress/auth.py authorize_app), through a tiny app of
our own: the read API's routes belong to another issue; the key check is this one's."""

from __future__ import annotations

from contextlib import asynccontextmanager

import pytest
from sqlalchemy import Connection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ingress.auth import authorize_app
from ingress.context import IngressContext
from shared import tenants
from shared.db.engine import create_async_pool
from tests.support.stores import run_db


def probe_app(settings) -> Starlette:
    async def probe(request: Request) -> JSONResponse:
        if denied := await authorize_app(request, request.path_params["project_id"]):
            return denied
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Starlette):
        pool = await create_async_pool(settings)
        # The key check reads only the settings and the pool; nothing else is built.
        app.state.ctx = IngressContext(
            settings=settings,
            pool=pool,
            broker=None,  # type: ignore[arg-type]
            redis=None,  # type: ignore[arg-type]
            engine=None,  # type: ignore[arg-type]
            uow=None,  # type: ignore[arg-type]
            committer=None,  # type: ignore[arg-type]
            enqueuer=None,  # type: ignore[arg-type]
        )
        yield
        await pool.close()

    return Starlette(routes=[Route("/probe/{project_id}", probe)], lifespan=lifespan)


@pytest.fixture
def keys(settings, clean_db) -> dict[str, str]:
    """acme: an active and a revoked key; other: one active key."""

    def setup(tx: Connection) -> dict[str, str]:
        tenants.create_project(tx, "acme", None)
        tenants.create_project(tx, "other", None)
        _, active = tenants.create_app(tx, "acme", "ios")
        revoked_app, revoked = tenants.create_app(tx, "acme", "old")
        tenants.revoke_app(tx, revoked_app.id)
        _, other = tenants.create_app(tx, "other", "web")
        return {"active": active, "revoked": revoked, "other": other}

    return run_db(settings, setup)


@pytest.fixture
def client(settings):
    with TestClient(probe_app(settings)) as client:
        yield client


def _assert_error(response, status: int) -> None:
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_request_without_a_key_gets_401(client, keys):
    _assert_error(client.get("/probe/acme"), 401)
    _assert_error(client.get("/probe/acme", headers={"Authorization": "Bearer "}), 401)
    _assert_error(client.get("/probe/acme", headers={"Authorization": "Basic abc"}), 401)


def test_unknown_key_gets_401(client, keys):
    _assert_error(client.get("/probe/acme", headers={"X-API-Key": "bk_not_a_key"}), 401)
    _assert_error(client.get("/probe/acme", headers={"Authorization": "Bearer bk_nope"}), 401)


def test_revoked_key_gets_401(client, keys):
    response = client.get("/probe/acme", headers={"Authorization": f"Bearer {keys['revoked']}"})
    _assert_error(response, 401)


def test_key_of_another_project_gets_403(client, keys):
    response = client.get("/probe/acme", headers={"Authorization": f"Bearer {keys['other']}"})
    _assert_error(response, 403)


def test_key_of_an_unknown_project_gets_403(client, keys):
    response = client.get("/probe/ghost", headers={"X-API-Key": keys["active"]})
    _assert_error(response, 403)


def test_right_key_as_bearer_token_passes(client, keys):
    response = client.get("/probe/acme", headers={"Authorization": f"Bearer {keys['active']}"})
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_right_key_as_x_api_key_passes(client, keys):
    response = client.get("/probe/acme", headers={"X-API-Key": keys["active"]})
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_bearer_scheme_is_case_insensitive(client, keys):
    response = client.get("/probe/acme", headers={"Authorization": f"bearer {keys['active']}"})
    assert response.status_code == 200
