"""JSON error answers: every refusal names its reason."""

import asyncio

import asyncpg
import sqlalchemy.exc
import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = structlog.get_logger("ingress.errors")

# Raised when PostgreSQL is down, restarting or too slow: by asyncpg on the hot paths, by
# SQLAlchemy (psycopg) under the admin API.
DATABASE_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection caught mid-operation by a shutdown
    asyncio.TimeoutError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
)


class WebhookRejected(Exception):
    """A webhook refused before anything is stored; `status` is the HTTP answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (an unknown path, a method a route does not take) as JSON, like
    every other answer; a 405 keeps its Allow header."""
    assert isinstance(exc, HTTPException)
    reasons = {404: f"no route {request.url.path}", 405: f"{request.method} not allowed here"}
    response = json_error(exc.status_code, reasons.get(exc.status_code, str(exc.detail)))
    response.headers.update(exc.headers or {})
    return response


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """Any route: a store that cannot answer is a 503 with a JSON reason, so clients retry."""
    log.error("request.database_unavailable", path=request.url.path, error=str(exc))
    await discard_connections(request)
    return json_error(503, "database unavailable; retry later")


async def discard_connections(request: Request) -> None:
    """After a store failure, no pooled connection is trusted again: each is closed when it is
    next released, and a fresh one opened when needed."""
    ctx = getattr(request.app.state, "ctx", None)
    pool = getattr(ctx, "pool", None)
    if pool is not None:
        await pool.expire_connections()


async def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("request.failed", path=request.url.path)
    return json_error(500, "internal error")
