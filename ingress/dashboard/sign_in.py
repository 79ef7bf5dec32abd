"""Signing in with the admin key, and out. A wrong key gets one generic answer; attempts are
limited per client address (rate_limit.py)."""

from __future__ import annotations

import hashlib
import hmac

import structlog
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingress.context import IngressContext
from ingress.dashboard.guard import action, admin_key, not_found, to_sign_in
from ingress.dashboard.rate_limit import SIGN_IN_WINDOW_S, SignInLimiter
from ingress.dashboard.render import FormTooLarge, form_fields, page, with_security_headers
from ingress.dashboard.session import (
    Session,
    clear_session_cookie,
    new_session,
    read_session,
    set_session_cookie,
)

log = structlog.get_logger("ingress.dashboard")
WRONG_KEY = "Sign-in failed: that is not the admin key."
TOO_MANY = f"Too many sign-in attempts from your address: wait {SIGN_IN_WINDOW_S} seconds."


def key_matches(given: str, expected: str) -> bool:
    """Constant-time, whatever the lengths: the digests are compared, not the keys."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def _limiter(request: Request) -> SignInLimiter:
    state = request.app.state
    if not hasattr(state, "sign_in_limiter"):
        ctx: IngressContext = state.ctx
        state.sign_in_limiter = SignInLimiter(ctx.redis)
    limiter: SignInLimiter = state.sign_in_limiter
    return limiter


async def sign_in_page(request: Request) -> Response:
    key = admin_key(request)
    if key is None:
        return not_found(request)
    if read_session(request, key) is not None:
        return with_security_headers(RedirectResponse("/admin/", status_code=303))
    return page(request, "login.html", None)


async def sign_in(request: Request) -> Response:
    key = admin_key(request)
    if key is None:
        return not_found(request)
    client = request.client.host if request.client else "unknown"
    if not await _limiter(request).allow(client):
        log.warning("dashboard.sign_in_limited", client=client)
        return page(request, "login.html", None, status_code=429, error=TOO_MANY)
    try:
        given = (await form_fields(request)).get("admin_key", "")
    except FormTooLarge:
        given = ""
    if not key_matches(given, key):
        log.warning("dashboard.sign_in_failed", client=client)
        return page(request, "login.html", None, status_code=401, error=WRONG_KEY)
    log.info("dashboard.signed_in", client=client)
    response = with_security_headers(RedirectResponse("/admin/", status_code=303))
    set_session_cookie(response, request, key, new_session())
    return response


@action
async def sign_out(request: Request, session: Session, fields: dict[str, str]) -> Response:
    response = to_sign_in()
    clear_session_cookie(response, request)
    return response
