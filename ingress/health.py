"""Liveness and readiness: /ready says which store is failing."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from ingress.context import IngressContext

CHECK_TIMEOUT_S = 2.0


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    ctx: IngressContext = request.app.state.ctx
    checks = {
        "postgres": await _check(ctx.pool.fetchval("SELECT 1")),
        "redis": await _check(ctx.redis.ping()),
    }
    failed = [name for name, ok in checks.items() if not ok]
    body: dict[str, object] = {
        "status": "ready" if not failed else "unavailable",
        "checks": checks,
    }
    if failed:
        body["failed"] = failed
    return JSONResponse(body, status_code=503 if failed else 200)


async def _check(awaitable: object) -> bool:
    try:
        await asyncio.wait_for(awaitable, CHECK_TIMEOUT_S)  # type: ignore[arg-type]
    except Exception:
        return False
    return True
