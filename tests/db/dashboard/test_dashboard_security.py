"""The dashboard's doors (CONTRACT section 11): absent without ADMIN_API_KEY, a redirect to the
sign-in page without a session, 403 for a form without its CSRF token, a cookie no script or
other site can use, one answer for every wrong key, and a limit on sign-in attempts."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis
from itsdangerous import TimestampSigner
from sqlalchemy import Engine
from starlette.testclient import TestClient

from ingress.app import create_app
from ingress.dashboard.rate_limit import SIGN_IN_ATTEMPTS
from ingress.dashboard.session import COOKIE_NAME, SESSION_MAX_AGE_S
from shared.settings import Settings
from tests.support.dashboard import ACTIONS, PAGES, SIGN_IN, csrf_token, sign_in
from tests.support.state import create_project
from tests.support.stores import ADMIN_TOKEN, CLOSED_REDIS_URL, event_row, insert_event

Factory = Callable[..., TestClient]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_without_a_session_redirects_to_sign_in(ingress: TestClient, path: str) -> None:
    answer = ingress.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == SIGN_IN


@pytest.mark.parametrize("path", ACTIONS)
def test_every_form_without_a_session_redirects_to_sign_in(ingress: TestClient, path: str) -> None:
    answer = ingress.post(path, data={"csrf_token": "x"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == SIGN_IN


def test_a_forged_or_expired_session_is_no_session(
    ingress: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(ingress)
    cookie = ingress.cookies[COOKIE_NAME]
    payload, stamp, signature = cookie.split(".")
    forged = f"{payload}.{stamp}.{signature[:-2]}AA"
    for value in (forged, "not-a-session", payload):
        ingress.cookies.set(COOKIE_NAME, value, path="/admin")
        assert ingress.get("/admin/", follow_redirects=False).status_code == 303

    expired_at = int(time.time()) - SESSION_MAX_AGE_S - 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: expired_at)
    ingress.cookies.clear()
    signed = ingress.post(SIGN_IN, data={"admin_key": _key(ingress)}, follow_redirects=False)
    monkeypatch.undo()
    assert signed.status_code == 303
    assert ingress.get("/admin/", follow_redirects=False).status_code == 303  # 8 hours old


def test_the_dashboard_does_not_exist_without_an_admin_key(ingress_factory: Factory) -> None:
    """Every page and form answers as an unknown path does."""
    client = ingress_factory(ADMIN_API_KEY="")
    gets = [*PAGES, SIGN_IN, "/admin/static/dashboard.css"]
    answers = [(path, client.get(path, follow_redirects=False)) for path in gets]
    answers += [(path, client.post(path, data={})) for path in [*ACTIONS, SIGN_IN]]
    answers.append(("/admin/no-such-page", client.get("/admin/no-such-page")))
    for path, answer in answers:
        assert answer.status_code == 404, path
        assert answer.json() == {"error": f"no route {path.split('?')[0]}"}


@pytest.mark.parametrize("path", ACTIONS)
def test_a_form_without_this_sessions_csrf_token_is_refused(
    ingress: TestClient, clean_db: Engine, path: str
) -> None:
    insert_event(clean_db, "evt_any", status="failed")
    token = sign_in(ingress)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": token[:-1] + "x"}):
        answer = ingress.post(path, data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "CSRF token is missing or wrong" in answer.text
    assert event_row(clean_db, "evt_any")["status"] == "failed"
    assert ingress.get("/admin/", follow_redirects=False).status_code == 200  # still signed in


def test_a_csrf_token_of_another_session_is_refused(
    ingress_factory: Factory, clean_db: Engine
) -> None:
    insert_event(clean_db, "evt_any", status="failed")
    theirs, mine = ingress_factory(), ingress_factory()
    their_token = sign_in(theirs)
    sign_in(mine)
    answer = mine.post("/admin/events/evt_any/retry", data={"csrf_token": their_token})
    assert answer.status_code == 403
    assert event_row(clean_db, "evt_any")["status"] == "failed"


def test_the_session_cookie_is_http_only_same_site_strict_for_8_hours(ingress: TestClient) -> None:
    answer = ingress.post(SIGN_IN, data={"admin_key": _key(ingress)}, follow_redirects=False)
    flags = _cookie_flags(answer.headers["set-cookie"])
    assert flags["httponly"] is True
    assert flags["samesite"] == "strict"
    assert flags["max-age"] == str(8 * 60 * 60)
    assert flags["path"] == "/admin"
    assert "secure" not in flags  # plain http: a Secure cookie would never come back


def test_a_forwarded_proto_header_alone_does_not_make_it_secure(ingress: TestClient) -> None:
    """Only uvicorn's trusted proxies (FORWARDED_ALLOW_IPS) turn a request into https."""
    answer = ingress.post(
        SIGN_IN,
        data={"admin_key": ADMIN_TOKEN},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert "secure" not in _cookie_flags(answer.headers["set-cookie"])


def test_the_session_cookie_is_secure_over_https(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        answer = client.post(SIGN_IN, data={"admin_key": _key(client)}, follow_redirects=False)
    flags = _cookie_flags(answer.headers["set-cookie"])
    assert flags["secure"] is True and flags["httponly"] is True and flags["samesite"] == "strict"


def test_a_wrong_key_gets_one_generic_answer(ingress: TestClient) -> None:
    answers = [
        ingress.post(SIGN_IN, data=data, follow_redirects=False)
        for data in (
            {"admin_key": "wrong"},
            {"admin_key": _key(ingress) + "x"},
            {"admin_key": ""},
            {},
        )
    ]
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.text for answer in answers}) == 1
    assert "Sign-in failed" in answers[0].text
    assert "ADMIN_API_KEY is" not in answers[0].text and COOKIE_NAME not in str(answers[0].headers)


def test_sign_in_attempts_are_limited_per_address(
    ingress: TestClient, clean_redis: redis.Redis
) -> None:
    for _ in range(SIGN_IN_ATTEMPTS):
        assert ingress.post(SIGN_IN, data={"admin_key": "wrong"}).status_code == 401
    limited = ingress.post(SIGN_IN, data={"admin_key": _key(ingress)}, follow_redirects=False)
    assert limited.status_code == 429
    assert "Too many sign-in attempts" in limited.text
    assert COOKIE_NAME not in ingress.cookies
    assert all(0 < clean_redis.ttl(key) <= 61 for key in clean_redis.keys("billing:dashboard:*"))
    clean_redis.flushdb()  # the next minute
    sign_in(ingress)


def test_while_redis_is_down_each_process_counts_attempts_itself(ingress_factory: Factory) -> None:
    client = ingress_factory(REDIS_URL=CLOSED_REDIS_URL)
    for _ in range(SIGN_IN_ATTEMPTS):
        assert client.post(SIGN_IN, data={"admin_key": "wrong"}).status_code == 401
    assert client.post(SIGN_IN, data={"admin_key": ADMIN_TOKEN}).status_code == 429


def test_sign_out_ends_the_session(ingress: TestClient) -> None:
    token = sign_in(ingress)
    answer = ingress.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == SIGN_IN
    assert "Max-Age=0" in answer.headers["set-cookie"] or "expires=" in answer.headers["set-cookie"]
    assert ingress.get("/admin/", follow_redirects=False).status_code == 303


def test_pages_name_no_other_host_and_forbid_it(ingress: TestClient, clean_db: Engine) -> None:
    create_project(clean_db, "acme")
    sign_in(ingress)
    for path in PAGES:
        answer = ingress.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert "<script" not in answer.text
        assert 'src="http' not in answer.text and 'href="http' not in answer.text
        assert csrf_token(answer.text)


def test_an_unknown_event_type_or_status_filter_is_a_clear_refusal(ingress: TestClient) -> None:
    sign_in(ingress)
    answer = ingress.get("/admin/events?status=lost")
    assert answer.status_code == 400 and "status must be one of" in answer.text
    answer = ingress.get("/admin/events?type=" + "x" * 300)
    assert answer.status_code == 400 and "at most 255" in answer.text


def _key(client: TestClient) -> str:
    return ADMIN_TOKEN


def _cookie_flags(header: str) -> dict[str, str | bool]:
    name_value, *attributes = [part.strip() for part in header.split(";")]
    assert name_value.startswith(f"{COOKIE_NAME}=")
    flags: dict[str, str | bool] = {}
    for attribute in attributes:
        name, _, value = attribute.partition("=")
        flags[name.lower()] = value.lower() if name.lower() == "samesite" else (value or True)
    return flags
