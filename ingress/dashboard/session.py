"""The dashboard's session: a signed cookie, no server-side state.

The cookie holds the session's CSRF token and is signed (itsdangerous, with its issue time) by a
key derived from ADMIN_API_KEY: every web process verifies it alike, a session ends after
SESSION_MAX_AGE_S whatever the browser does, and changing ADMIN_API_KEY ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE_NAME = "billing_admin_session"
COOKIE_PATH = "/admin"
SESSION_MAX_AGE_S = 8 * 60 * 60
SIGNING_SALT = "billing.dashboard.session"


@dataclass(frozen=True)
class Session:
    csrf_token: str

    def accepts(self, csrf_token: str | None) -> bool:
        """The form's token is this session's (constant-time)."""
        return csrf_token is not None and hmac.compare_digest(
            csrf_token.encode(), self.csrf_token.encode()
        )


def _serializer(admin_api_key: str) -> URLSafeTimedSerializer:
    secret = hmac.new(admin_api_key.encode(), b"billing dashboard session", hashlib.sha256)
    return URLSafeTimedSerializer(secret.hexdigest(), salt=SIGNING_SALT)


def new_session() -> Session:
    return Session(csrf_token=secrets.token_urlsafe(32))


def read_session(request: Request, admin_api_key: str) -> Session | None:
    """The request's session; None without a cookie, or with one forged, altered or expired."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        data = _serializer(admin_api_key).loads(raw, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # SignatureExpired is one too
        return None
    token = data.get("csrf") if isinstance(data, dict) else None
    return Session(csrf_token=token) if isinstance(token, str) and token else None


def set_session_cookie(
    response: Response, request: Request, admin_api_key: str, session: Session
) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Secure
    when the request came over https (as uvicorn sees it: X-Forwarded-Proto counts only from
    the proxies it trusts, FORWARDED_ALLOW_IPS)."""
    response.set_cookie(
        COOKIE_NAME,
        _serializer(admin_api_key).dumps({"csrf": session.csrf_token}),
        max_age=SESSION_MAX_AGE_S,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
