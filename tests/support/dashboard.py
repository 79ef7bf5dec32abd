"""The operators' dashboard as a test drives it: its pages and forms, signing in, and the CSRF
token a signed-in page carries."""

from __future__ import annotations

import re

import httpx

from tests.support.stores import ADMIN_TOKEN

SIGN_IN = "/admin/login"
# Every page, with made-up ids where a path needs one.
PAGES = [
    "/admin/",
    "/admin/events",
    "/admin/events?status=failed",
    "/admin/events/evt_any",
    "/admin/users",
    "/admin/users?project=acme&user=42",
    "/admin/projects",
    "/admin/projects/acme",
]
# Every form that changes something.
ACTIONS = [
    "/admin/logout",
    "/admin/events/evt_any/retry",
    "/admin/events/retry-failed",
    "/admin/reconciliation",
    "/admin/projects/acme/apps/app_any/revoke",
    "/admin/projects/acme/products",
    "/admin/projects/acme/products/remove",
    "/admin/deliveries/dlv_any/resend",
]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of a signed-in page's forms."""
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: httpx.Client, key: str = ADMIN_TOKEN) -> str:
    """Sign `client` in (its cookie jar keeps the session); returns the session's CSRF token."""
    answer = client.post(SIGN_IN, data={"admin_key": key}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_token(client.get("/admin/").text)
