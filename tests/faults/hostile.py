"""Hostile input: what any client can send to the webhook and to every path of the OpenAPI
document. Never a 5xx; nothing stored unless validly signed and well formed.

The webhook probes are a fixed list of the named cases (exactly 1 MiB and 1 MiB + 1, 2,000 and
100,000 levels of nesting, an 8 KiB id, thousands of `v1=` entries, non-ASCII signatures, NaN,
huge integers, NUL bytes), then a hypothesis strategy run through `@given` with a fixed
derandomized seed and a bounded number of examples, so every run sends the same requests.
Each probe knows whether it may be stored (validly signed, a JSON object with a non-empty string
`id` and `type` and an integer `created`) and whether it must be (a plain event of that kind);
the database is compared with that at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.faults.checks import Outcome, db_rows
from tests.faults.sender import WEBHOOK_PATH

MIB = 1024 * 1024
Headers = list[tuple[bytes, bytes]]
INT64_MAX = 2**63 - 1
_ids = itertools.count(1)


@dataclass
class Probe:
    kind: str
    body: bytes | Iterator[bytes]
    headers: list[tuple[bytes, bytes]]
    may_store: str | None = None  # the id it may be stored under
    must_store: str | None = None  # the id it must be stored under (a plain, valid event)
    raw: bytes | None = None  # sent as is over a socket (what an HTTP client refuses to send)


@dataclass
class Answered:
    probe: Probe
    status: int | None
    error: str = ""


def sign_bytes(body: bytes, secret: str, timestamp: int | None = None) -> bytes:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}".encode()


def plain_event(**fields: Any) -> dict[str, Any]:
    event = {
        "id": f"evt_hostile_{next(_ids)}_{int(time.time() * 1000)}",
        "object": "event",
        "type": "customer.created",
        "api_version": "2025-09-30.clover",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": "cus_hostile", "object": "customer", "metadata": {}}},
    }
    event.update(fields)
    return event


def judge(body: bytes, signed_ok: bool) -> tuple[str | None, str | None]:
    """(may_store, must_store): the id under which the body may, and must, be stored."""
    if not signed_ok or len(body) > MIB:
        return None, None
    try:
        text = body.decode("utf-8")
        event = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(event, dict):
        return None, None
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and event_type):
        return None, None
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created <= INT64_MAX:
        return None, None
    plain = (
        len(event_id) <= 255
        and len(event_type) <= 255
        and "\\u0000" not in text
        and "\x00" not in text
        and _encodable(event)
        and _depth(event) < 100
        and len(str(event.get("api_version") or "")) <= 64
    )
    return event_id, event_id if plain else None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return False
    return True


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        nxt: list[Any] = []
        for v in level:
            if isinstance(v, dict):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        level = nxt
        if depth > 200:
            break
    return depth


def signed_probe(kind: str, body: bytes, secret: str, signed: bool = True) -> Probe:
    may, must = judge(body, signed)
    header = sign_bytes(body, secret) if signed else sign_bytes(body, "whsec_wrong")
    return Probe(kind, body, [(b"stripe-signature", header)], may, must)


def _dumps(event: Any) -> bytes:
    return json.dumps(event, separators=(",", ":"), allow_nan=True).encode()


def _nested(depth: int, opener: str) -> str:
    if opener == "[":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _padded(size: int) -> bytes:
    """A plain event whose body is exactly `size` bytes."""
    event = plain_event()
    event["data"]["object"]["description"] = ""
    base = len(_dumps(event))
    event["data"]["object"]["description"] = "x" * (size - base)
    body = _dumps(event)
    assert len(body) == size, (len(body), size)
    return body


def fixed_probes(secret: str) -> list[Probe]:
    """The cases issue 11 names, once each."""
    probes = [
        signed_probe("plain event (control)", _dumps(plain_event()), secret),
        signed_probe("body of exactly 1 MiB", _padded(MIB), secret),
        signed_probe("body of 1 MiB + 1", _padded(MIB + 1), secret),
        signed_probe("body of 2 MiB", _padded(2 * MIB), secret),
    ]
    big = _padded(MIB + 1)
    probes.append(
        Probe(
            "1 MiB + 1, chunked (no Content-Length)",
            iter([big[:MIB], big[MIB:]]),
            [(b"stripe-signature", sign_bytes(big, secret))],
        )
    )
    for depth in (999, 1000, 2000, 100_000):
        for opener in ("[", "{"):
            text = _dumps(plain_event()).decode()
            body = text.replace('"metadata":{}', f'"metadata":{_nested(depth, opener)}').encode()
            probes.append(signed_probe(f"nesting {depth} levels {opener}", body, secret))
    probes += [
        signed_probe("8 KiB id", _dumps(plain_event(id="evt_" + "x" * 8192)), secret),
        signed_probe("8 KiB type", _dumps(plain_event(type="t" * 8192)), secret),
        signed_probe("8 KiB api_version", _dumps(plain_event(api_version="v" * 8192)), secret),
        signed_probe("NUL in id", _dumps(plain_event(id="evt_a\x00b")), secret),
        signed_probe("NUL in type", _dumps(plain_event(type="customer.\x00created")), secret),
        signed_probe(
            "NUL deep in data", _dumps(plain_event(data={"object": {"id": "\x00"}})), secret
        ),
        signed_probe("raw NUL byte in the body", _dumps(plain_event())[:-1] + b"\x00}", secret),
        signed_probe("NaN created", _dumps(plain_event(created=float("nan"))), secret),
        signed_probe(
            "NaN deep in data",
            _dumps(plain_event(data={"object": {"amount": float("nan")}})),
            secret,
        ),
        signed_probe(
            "Infinity in data",
            _dumps(plain_event(data={"object": {"amount": float("inf")}})),
            secret,
        ),
        signed_probe("created 2**63", _dumps(plain_event(created=2**63)), secret),
        signed_probe("created 10**400", _dumps(plain_event(created=10**400)), secret),
        signed_probe("created -1", _dumps(plain_event(created=-1)), secret),
        signed_probe("created 1.5", _dumps(plain_event(created=1.5)), secret),
        signed_probe("created true", _dumps(plain_event(created=True)), secret),
        signed_probe(
            "5,000-digit integer in data",
            _dumps(plain_event()).replace(
                b'"metadata":{}', b'"metadata":{"n":1' + b"0" * 5000 + b"}"
            ),
            secret,
        ),
        signed_probe(
            "lone surrogate in id", b'{"id":"evt_\\ud800","type":"x","created":1}', secret
        ),
        signed_probe("id is a list", _dumps(plain_event(id=["evt_1"])), secret),
        signed_probe("empty object", b"{}", secret),
        signed_probe("JSON array", b"[]", secret),
        signed_probe("invalid UTF-8", b'{"id":"evt_\xff","type":"x","created":1}', secret),
        signed_probe("valid event, wrong secret", _dumps(plain_event()), secret, signed=False),
    ]
    junk_v1 = ",".join(f"v1={hashlib.sha256(str(n).encode()).hexdigest()}" for n in range(3000))

    def header_cases(
        body: bytes, good: bytes, t: str
    ) -> list[tuple[str, list[tuple[bytes, bytes]], bool, bool]]:
        """(case, headers, may be stored, must be stored), for one body and its signature."""
        return [
            ("no Stripe-Signature", [], False, False),
            ("empty Stripe-Signature", [(b"stripe-signature", b"")], False, False),
            ("t=1,v1=\\xe9", [(b"stripe-signature", b"t=1,v1=\xe9")], False, False),
            (
                "valid signature + non-ASCII bytes",
                [(b"stripe-signature", good + b"\xe9\xff")],
                False,
                False,
            ),
            (
                "valid signature + UTF-8 text",
                [(b"stripe-signature", good + "é用户".encode())],
                False,
                False,
            ),
            (
                "3,000 v1= entries, none valid",
                [(b"stripe-signature", f"{t},{junk_v1}".encode())],
                False,
                False,
            ),
            (
                "3,000 v1= entries, the valid one last",
                [(b"stripe-signature", f"{t},{junk_v1},".encode() + good.split(b",")[1])],
                True,
                False,
            ),
            (
                "100 KiB Stripe-Signature",
                [(b"stripe-signature", b"t=1,v1=" + b"a" * 100_000)],
                False,
                False,
            ),
            (
                "8 KiB + 1 Stripe-Signature",
                [(b"stripe-signature", b"t=1,v1=" + b"a" * 8186)],
                False,
                False,
            ),
            ("no t=", [(b"stripe-signature", good.split(b",")[1])], False, False),
            ("t=abc", [(b"stripe-signature", b"t=abc," + good.split(b",")[1])], False, False),
            ("a second, unreadable t=", [(b"stripe-signature", good + b",t=abc")], True, False),
            (
                "t from the future",
                [(b"stripe-signature", sign_bytes(body, secret, int(time.time()) + 3600))],
                False,
                False,
            ),
            (
                "t from the past",
                [(b"stripe-signature", sign_bytes(body, secret, int(time.time()) - 3600))],
                False,
                False,
            ),
            ("t=10**30", [(b"stripe-signature", sign_bytes(body, secret, 10**30))], False, False),
            ("t=-1", [(b"stripe-signature", sign_bytes(body, secret, -1))], False, False),
            (
                "60 KB unrelated header",
                [(b"stripe-signature", good), (b"x-junk", b"j" * 60_000)],
                True,
                False,
            ),
            (
                "non-ASCII unrelated header",
                [(b"stripe-signature", good), (b"x-junk", b"\xff\xfe\xe9")],
                True,
                True,
            ),
            (
                "Content-Type nonsense",
                [(b"stripe-signature", good), (b"content-type", b"\xe9/\xff")],
                True,
                True,
            ),
        ]

    for n in range(len(header_cases(b"", b"t=0,v1=0", "t=0"))):
        body = _dumps(plain_event())  # a fresh id for every case
        good = sign_bytes(body, secret)
        kind, headers, may, must = header_cases(body, good, good.split(b",")[0].decode())[n]
        event_id = json.loads(body)["id"]
        probes.append(
            Probe(kind, body, headers, event_id if may else None, event_id if must else None)
        )
    body = _dumps(plain_event())
    for kind, length in (
        ("Content-Length larger than 1 MiB, short body", b"99999999999999999999"),
        ("Content-Length negative", b"-5"),
        ("Content-Length not a number", b"abc"),
    ):
        raw = (
            b"POST " + WEBHOOK_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Stripe-Signature: "
            + sign_bytes(body, secret)
            + b"\r\nContent-Length: "
            + length
            + b"\r\n\r\n"
            + body
        )
        probes.append(Probe(kind, body, [], raw=raw))
    raw = (
        b"POST " + WEBHOOK_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + b"\r\n0\r\n\r\n"
    )
    probes.append(Probe("bad chunked encoding", body, [], raw=raw))
    return probes


# --- the hypothesis strategy -----------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.text(max_size=40),
    st.text(min_size=1, max_size=10).map(lambda s: s + "\x00"),
    st.just("x" * 8192),
    st.integers(),
    st.integers(min_value=INT64_MAX - 3, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def probes(draw: st.DrawFn, secret: str) -> Probe:
    kind = draw(
        st.sampled_from(
            ["junk bytes", "junk text", "field", "field", "field", "deep", "header", "control"]
        )
    )
    signed = draw(st.booleans().map(lambda b: b or kind in ("field", "deep", "control")))
    if kind == "junk bytes":
        body = draw(st.binary(max_size=4096))
        return signed_probe("random bytes", body, secret, signed)
    if kind == "junk text":
        body = draw(st.text(max_size=2000)).encode("utf-8", "surrogatepass")
        return signed_probe("random text", body, secret, signed)
    if kind == "field":
        event = plain_event()
        name = draw(
            st.sampled_from(
                ["id", "type", "created", "api_version", "livemode", "data", "object", "request"]
            )
        )
        if draw(st.integers(0, 9)) == 0:
            event.pop(name, None)
            return signed_probe(f"no {name}", _dumps(event), secret)
        value = draw(ODD_VALUES)
        event[name] = value
        where = draw(st.sampled_from(["top", "deep"]))
        if where == "deep":
            event = plain_event(data={"object": {"id": "cus_x", name: value}})
        return signed_probe(f"odd {name} ({where})", _dumps(event), secret)
    if kind == "deep":
        depth = draw(st.sampled_from([50, 500, 1000, 2000, 20_000]))
        opener = draw(st.sampled_from(["[", "{"]))
        text = _dumps(plain_event()).decode()
        body = text.replace('"metadata":{}', f'"metadata":{_nested(depth, opener)}').encode()
        return signed_probe(f"nesting {depth} {opener}", body, secret)
    if kind == "header":
        body = _dumps(plain_event())
        good = sign_bytes(body, secret)
        variant = draw(st.sampled_from(["append", "random", "many v1", "text"]))
        if variant == "append":
            header = good + draw(
                st.binary(min_size=1, max_size=30).filter(
                    lambda b: b"\n" not in b and b"\r" not in b and b"\x00" not in b
                )
            )
        elif variant == "random":
            header = draw(
                st.binary(max_size=300).filter(
                    lambda b: b"\n" not in b and b"\r" not in b and b"\x00" not in b
                )
            )
        elif variant == "many v1":
            n = draw(st.sampled_from([10, 500, 2000, 6000]))
            header = good + b"".join(b",v1=" + b"%064x" % k for k in range(n))
        else:
            chars = st.characters(blacklist_categories=("Cs", "Cc"))
            header = draw(st.text(chars, max_size=200)).encode("utf-8")
        valid = header == good  # appended junk makes it malformed or another signature
        may, must = judge(body, True) if (valid or variant == "many v1") else (None, None)
        return Probe(
            f"hostile signature ({variant})",
            body,
            [(b"stripe-signature", header)],
            may,
            must if valid else None,
        )
    return signed_probe("plain event (control)", _dumps(plain_event()), secret)


def generated_probes(secret: str, examples: int) -> list[Probe]:
    drawn: list[Probe] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(probe=probes(secret))
    def collect(probe: Probe) -> None:
        drawn.append(probe)

    collect()
    return drawn


# --- sending and judging -----------------------------------------------------------------------


def post_probe(client: httpx.Client, url: str, probe: Probe) -> Answered:
    if probe.raw is not None:
        return _raw_request(url, probe)
    try:
        response = client.post(url, content=probe.body, headers=probe.headers)
    except httpx.LocalProtocolError:  # httpx refuses the header: write the request by hand
        body = probe.body if isinstance(probe.body, bytes) else b"".join(probe.body)
        headers = list(probe.headers)
        status, text = raw_http(url.split("/api/")[0], "POST", WEBHOOK_PATH, headers, body)
        return Answered(probe, status, text)
    except Exception as exc:  # noqa: BLE001 - h11 errors escape httpx's wrapping
        return Answered(probe, None, f"{type(exc).__name__}: {exc}")
    return Answered(probe, response.status_code, response.text[:200])


def _raw_request(url: str, probe: Probe) -> Answered:
    status, text = _exchange(url, probe.raw or b"")
    return Answered(probe, status, text)


def raw_http(
    base_url: str, method: str, path: str, headers: Headers, body: bytes | None
) -> tuple[int | None, str]:
    """One request written by hand: for what httpx refuses to send (a URL over 64 KiB)."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: x", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Content-Length: " + str(len(body or b"")).encode())
    return _exchange(base_url, b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))


def _exchange(url: str, request: bytes) -> tuple[int | None, str]:
    host, port = url.split("//")[1].split("/")[0].split(":")
    data = b""
    try:
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request)
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            sock.settimeout(1)
            with contextlib.suppress(OSError):
                data += sock.recv(4096)
    except OSError as exc:
        if not data:
            return None, f"{type(exc).__name__}: {exc}"
    parts = data.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None, f"no HTTP answer: {data[:80]!r}"
    return int(parts[1]), data.split(b"\r\n\r\n", 1)[-1][:200].decode("latin-1")


@dataclass
class ApiCall:
    method: str
    path: str
    auth: str
    status: int | None
    error: str = ""


HOSTILE_SEGMENTS = [
    "%00",
    "a%00b",
    "x" * 5000,
    "x" * 70_000,
    "é",
    "用户",
    "🙂",
    "%C3%A9",
    "%FF%FE",
    "..",
    "%2e%2e",
    "%2F",
    "a%20b",
    "'; DROP TABLE projects;--",
    "null",
    "-1",
    "0",
    "99999999999999999999999",
    "%25",
    "%zz",
    "evt_" + "x" * 8192,
    "cus_" + "é" * 10,
]
QUERY_CASES = [
    {"status": "%00"},
    {"status": "é"},
    {"status": "x" * 5000},
    {"limit": "-1"},
    {"limit": "0"},
    {"limit": "99999999999999999999"},
    {"limit": "abc"},
    {"limit": "1e9"},
    {"limit": "%00"},
]
BODIES = [
    b"{}",
    b"not json",
    b'{"user_id": "\\u0000"}',
    b'{"user_id": "' + b"u" * 10000 + b'"}',
    b'{"days_back": 1e999}',
    b'{"days_back": -1}',
    b'{"url": "http://\xff"}',
    b'{"resume": "imp_\\u0000"}',
    b"[" * 5000 + b"]" * 5000,
    b'{"url": NaN}',
]


def api_calls(
    doc: dict[str, Any], keys: dict[str, Headers]
) -> Iterator[tuple[str, str, str, Headers, bytes | None, dict[str, str] | None]]:
    """(method, url path, auth name, headers, body, query) for every path of the document."""
    auth_names = list(keys)
    k = itertools.count()
    for template, operations in doc["paths"].items():
        if template == WEBHOOK_PATH:
            continue
        methods = sorted(
            {m.upper() for m in operations if m in ("get", "post", "put", "delete", "patch")}
            | {"GET", "POST"}
        )
        params = [seg[1:-1] for seg in template.split("/") if seg.startswith("{")]
        for method in methods:
            body = BODIES[next(k) % len(BODIES)] if method in ("POST", "PUT", "PATCH") else None
            if not params:
                for auth in auth_names:
                    yield method, template, auth, keys[auth], body, None
                for query in QUERY_CASES:
                    auth = auth_names[next(k) % len(auth_names)]
                    yield method, template, auth, keys[auth], body, query
                continue
            for param in params:
                for value in HOSTILE_SEGMENTS:
                    auth = auth_names[next(k) % len(auth_names)]
                    path = template
                    for other in params:
                        filler = value if other == param else _plausible(other)
                        path = path.replace("{" + other + "}", filler)
                    b = BODIES[next(k) % len(BODIES)] if body is not None else None
                    yield method, path, auth, keys[auth], b, None


def _plausible(name: str) -> str:
    return {
        "project_id": "acme",
        "user_id": "user0001",
        "customer_id": "cus_f0001",
        "event_id": "evt_1",
        "run_id": "rec_1",
        "import_id": "imp_1",
        "endpoint_id": "we_1",
        "delivery_id": "dl_1",
    }.get(name, "x")


def documented_5xx(call: ApiCall) -> bool:
    """503 for a reconciliation, import or resync without STRIPE_SECRET_KEY: README and CONTRACT
    section 6 document it (the service is not configured for it, the input is not at fault)."""
    return call.status == 503 and "STRIPE_SECRET_KEY" in call.error


@dataclass
class HostileReport:
    webhook: list[Answered] = field(default_factory=list)
    api: list[ApiCall] = field(default_factory=list)


def run_hostile(
    web_url: str,
    db_url: str,
    secret: str,
    admin_key: str,
    app_key: str,
    examples: int,
    outcome: Outcome,
    log_dir: Path,
) -> HostileReport:
    report = HostileReport()
    webhook_url = web_url + WEBHOOK_PATH
    all_probes = fixed_probes(secret) + generated_probes(secret, examples)
    with httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0)) as client:
        for probe in all_probes:
            report.webhook.append(post_probe(client, webhook_url, probe))

        doc = client.get(web_url + "/api/v1/openapi.json").json()
        keys: dict[str, Headers] = {
            "no key": [],
            "admin key": [(b"authorization", f"Bearer {admin_key}".encode())],
            "app key": [(b"authorization", f"Bearer {app_key}".encode())],
            "app key (X-API-Key)": [(b"x-api-key", app_key.encode())],
            "wrong key": [(b"authorization", b"Bearer nope")],
            "non-ASCII key": [(b"authorization", b"Bearer \xe9\xff")],
        }
        for method, path, auth, headers, body, query in api_calls(doc, keys):
            url = web_url + _encode_path(path)
            try:
                response = client.request(method, url, headers=headers, content=body, params=query)
                call = ApiCall(method, path[:80], auth, response.status_code, response.text[:200])
            except (httpx.InvalidURL, httpx.LocalProtocolError):  # too long for httpx: by hand
                status, text = raw_http(web_url, method, _encode_path(path), headers, body)
                call = ApiCall(method, path[:80], auth, status, text)
            except httpx.HTTPError as exc:
                call = ApiCall(method, path[:80], auth, None, f"{type(exc).__name__}: {exc}")
            report.api.append(call)

    with (log_dir / "hostile-answers.txt").open("w") as out:
        for a in report.webhook:
            stored_as = "may be stored" if a.probe.may_store else "must not be stored"
            if a.probe.must_store:
                stored_as = "must be stored"
            out.write(f"webhook  {a.status}  {a.probe.kind}  ({stored_as})  {a.error[:100]!r}\n")
        for c in report.api:
            out.write(f"{c.method} {c.path[:60]!r} [{c.auth}]  {c.status}  {c.error[:80]!r}\n")

    # --- judging ---------------------------------------------------------------------------
    outcome.events = len(report.webhook) + len(report.api)
    outcome.posts = outcome.events
    stored = {r["id"] for r in db_rows(db_url, "SELECT id FROM webhook_events")}
    may = {a.probe.may_store for a in report.webhook if a.probe.may_store}
    must = {a.probe.must_store: a.probe.kind for a in report.webhook if a.probe.must_store}
    wrongly_stored = stored - may
    if wrongly_stored:
        outcome.fail(
            f"{len(wrongly_stored)} event(s) stored though not validly signed and well "
            f"formed: {sorted(x[:60] for x in wrongly_stored)[:5]}"
        )
    refused = {i: kind for i, kind in must.items() if i not in stored}
    outcome.lost = len(refused)
    if refused:
        answers = {a.probe.must_store: (a.status, a.error[:100]) for a in report.webhook}
        outcome.fail(
            f"{len(refused)} plain, validly signed event(s) not stored: "
            f"{[(kind, answers[i]) for i, kind in list(refused.items())[:5]]}"
        )
    five = [a for a in report.webhook if a.status is not None and a.status >= 500]
    api_five = [c for c in report.api if c.status is not None and c.status >= 500]
    expected = [c for c in api_five if documented_5xx(c)]
    api_five = [c for c in api_five if not documented_5xx(c)]
    outcome.five_xx = len(five) + len(api_five)
    for a in five[:5]:
        outcome.fail(f"webhook {a.probe.kind!r} answered {a.status}: {a.error[:150]}")
    for c in api_five[:8]:
        outcome.fail(f"{c.method} {c.path} ({c.auth}) answered {c.status}: {c.error[:150]}")
    statuses = Counter(str(a.status) for a in report.webhook)
    outcome.notes.append(
        f"webhook: {len(report.webhook)} requests "
        f"({len(all_probes) - examples} named cases, {examples} drawn by "
        f"hypothesis), answers {dict(sorted(statuses.items()))}; "
        f"{len(stored)} stored, {len(must)} had to be"
    )
    api_statuses = Counter(str(c.status) for c in report.api)
    outcome.notes.append(
        f"API: {len(report.api)} requests on {len(doc['paths']) - 1} paths, "
        f"answers {dict(sorted(api_statuses.items()))}"
    )
    if expected:
        outcome.notes.append(
            f"{len(expected)} documented 503 (no STRIPE_SECRET_KEY) on "
            f"{sorted({c.path.split('/')[4] for c in expected})}"
        )
    unanswered = [a for a in report.webhook if a.status is None] + [
        c for c in report.api if c.status is None
    ]
    if unanswered:
        sample = [
            u.probe.kind if isinstance(u, Answered) else f"{u.method} {u.path[:40]}"
            for u in unanswered[:5]
        ]
        outcome.notes.append(
            f"{len(unanswered)} request(s) got no HTTP answer (client refused "
            f"to send, or the connection was closed): {sample}"
        )
    return report


def _encode_path(path: str) -> str:
    """Percent-encode what is not ASCII, keep the escapes the cases spell out (`%00`)."""
    return quote(path, safe="/%';:@!$&()*+,=-._~")
