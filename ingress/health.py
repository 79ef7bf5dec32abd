"""Liveness and readiness: /ready says which store is failing, and whether the schema is behind."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from ingress.context import IngressContext
from shared.db import schema_version

CHECK_TIMEOUT_S = 2.0


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """200 when PostgreSQL and Redis answer and the schema is the newest; else 503 naming each
    failure with its reason (contract section 5)."""
    ctx: IngressContext = request.app.state.ctx
    reasons: dict[str, str] = {}
    postgres = await _check(ctx.pool.fetchval("SELECT 1"))
    if postgres is not None:
        reasons["postgres"] = postgres
    else:
        try:
            schema = await asyncio.wait_for(schema_version.check_async(ctx.pool), CHECK_TIMEOUT_S)
        except Exception as exc:
            schema = f"cannot read the schema version: {type(exc).__name__}"
        if schema is not None:
            reasons["schema"] = schema
    redis = await _check(ctx.redis.ping())
    if redis is not None:
        reasons["redis"] = redis
    checks = {
        "postgres": "postgres" not in reasons,
        "redis": "redis" not in reasons,
        "schema": not {"postgres", "schema"} & set(reasons),  # unknown while PostgreSQL is down
    }
    body: dict[str, object] = {
        "status": "ready" if not reasons else "unavailable",
        "checks": checks,
    }
    if reasons:
        body["failed"] = list(reasons)
        body["reasons"] = reasons
    return JSONResponse(body, status_code=503 if reasons else 200)


async def _check(awaitable: object) -> str | None:
    """None when the store answered, else why not (no secret: the exception's type only)."""
    try:
        await asyncio.wait_for(awaitable, CHECK_TIMEOUT_S)  # type: ignore[arg-type]
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return None
