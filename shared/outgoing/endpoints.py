"""Every statement on `webhook_endpoints`: the operators' endpoints of a project."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row, text

from shared.isotime import iso_utc
from shared.refusals import Refused
from shared.tenants import require_project

MAX_URL_CHARS = 2048
INSERT = text(
    """INSERT INTO webhook_endpoints (id, project_id, url, secret)
       VALUES (:id, :p, :url, :secret) RETURNING *"""
)
OF_PROJECT = text(
    """SELECT * FROM webhook_endpoints WHERE project_id = :p AND removed_at IS NULL
       ORDER BY created_at, id"""
)
ONE = text("SELECT * FROM webhook_endpoints WHERE id = :id AND removed_at IS NULL")
REMOVE = text(
    """UPDATE webhook_endpoints SET removed_at = now() WHERE id = :id AND removed_at IS NULL
       RETURNING id"""
)


class EndpointRefused(Refused):
    """A bad URL, or an endpoint or delivery that does not exist."""


@dataclass(frozen=True)
class Endpoint:
    id: str
    project_id: str
    url: str
    secret: str
    created_at: datetime

    def as_json(self, with_secret: bool = False) -> dict[str, Any]:
        shown = {"id": self.id, "project_id": self.project_id, "url": self.url}
        shown["created_at"] = iso_utc(self.created_at) or ""
        return {**shown, "secret": self.secret} if with_secret else shown


def validate_url(url: object, allow_http: bool) -> str:
    """https:// with a host, no credentials; http:// only when allowed (local development)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise EndpointRefused(f"url must be a string of 1-{MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused("url is not a valid URL") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise EndpointRefused(
            f"url must start with {allowed}"
            + ("" if allow_http else " (http:// only with WEBHOOK_ENDPOINTS_ALLOW_HTTP=true)")
        )
    if not parts.hostname or parts.username or parts.password or port == 0:
        raise EndpointRefused("url needs a host, and no user or password in it")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise EndpointRefused("url must not contain spaces or control characters")
    return url


def new_secret() -> str:
    """Standard Webhooks' form: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_endpoint(tx: Connection, project_id: str, url: str, allow_http: bool) -> Endpoint:
    require_project(tx, project_id)
    params = {
        "id": "we_" + secrets.token_hex(8),
        "p": project_id,
        "url": validate_url(url, allow_http),
        "secret": new_secret(),
    }
    return _endpoint(tx.execute(INSERT, params).one())


def endpoints_of(tx: Connection, project_id: str) -> list[Endpoint]:
    return [_endpoint(row) for row in tx.execute(OF_PROJECT, {"p": project_id})]


def get_endpoint(tx: Connection, endpoint_id: str) -> Endpoint | None:
    row = tx.execute(ONE, {"id": endpoint_id}).first()
    return _endpoint(row) if row is not None else None


def remove_endpoint(tx: Connection, endpoint_id: str) -> bool:
    """Its deliveries stay, for the record; no new message goes to it."""
    return tx.execute(REMOVE, {"id": endpoint_id}).first() is not None


def _endpoint(row: Row[Any]) -> Endpoint:
    return Endpoint(row.id, row.project_id, row.url, row.secret, row.created_at)
