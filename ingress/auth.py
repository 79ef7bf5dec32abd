"""Who may call: app API keys for the read API (401/403), one bearer token for the admin API."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse

from ingress.context import IngressContext
from ingress.errors import json_error
from shared.tenants import find_app_by_key


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authorize_app(request: Request, project_id: str) -> JSONResponse | None:
    """None when the request carries an active key of `project_id`; else the error answer."""
    ctx: IngressContext = request.app.state.ctx
    key = _bearer(request) or request.headers.get("x-api-key", "").strip()
    if not key:
        return json_error(401, "missing API key: send Authorization: Bearer <key> or X-API-Key")
    # Looked up by the SHA-256 of a 256-bit key: the lookup itself leaks nothing worth timing.
    app = await find_app_by_key(ctx.pool, key)
    if app is None:
        return json_error(401, "unknown API key")
    if not app["active"]:
        return json_error(401, "API key revoked")
    if app["project_id"] != project_id:
        return json_error(403, "this API key belongs to another project")
    return None


def authorize_admin(request: Request) -> JSONResponse | None:
    """404 while no ADMIN_API_KEY is set, so the admin API does not exist; 401 for a wrong token."""
    ctx: IngressContext = request.app.state.ctx
    expected = ctx.settings.admin_api_key
    if not expected:
        return json_error(404, "not found")
    token = _bearer(request) or ""
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        return json_error(401, "invalid admin token")
    return None
