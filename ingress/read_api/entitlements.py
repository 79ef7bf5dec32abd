"""GET /api/v1/entitlements/project/{project_id}/user/{user_id}.

Served from Redis, filled from PostgreSQL on a miss. A cached entry is answered as stored, its
JSON spliced into the answer unparsed: this is the hottest read (see also
entitlements_fast_path.py).
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_app
from ingress.context import IngressContext
from shared.cache import STORE_IF_NEWER, dirty_key, entry_key, fill_args, fresh_json
from shared.entitlements.compute import Grant

log = structlog.get_logger("ingress.entitlements")

# One statement, so version and rows come from one snapshot.
LOAD = """
SELECT v.version, e.entitlement_key, e.source, e.source_id, e.product_id, e.expires_at
FROM (SELECT coalesce((SELECT version FROM entitlement_versions
                       WHERE project_id = $1 AND user_id = $2), 0) AS version) v
LEFT JOIN entitlements e ON e.project_id = $1 AND e.user_id = $2
ORDER BY e.entitlement_key
"""


async def get_user_entitlements(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    user_id = request.path_params["user_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    ctx: IngressContext = request.app.state.ctx
    cached = await _cached(ctx, project_id, user_id)
    if cached is not None:
        return Response(_answer_json(project_id, user_id, cached), media_type="application/json")
    entitlements = await _load_and_fill(ctx, project_id, user_id)
    return JSONResponse(
        {"project_id": project_id, "user_id": user_id, "entitlements": entitlements}
    )


def _answer_json(project_id: str, user_id: str, entitlements: bytes) -> bytes:
    """What JSONResponse would write for the answer, around the cached JSON object."""
    ids = json.dumps(
        {"project_id": project_id, "user_id": user_id}, ensure_ascii=False, separators=(",", ":")
    )
    return ids[:-1].encode() + b',"entitlements":' + entitlements + b"}"


async def _cached(ctx: IngressContext, project_id: str, user_id: str) -> bytes | None:
    try:
        entry, dirty = await ctx.redis.mget(
            entry_key(project_id, user_id), dirty_key(project_id, user_id)
        )
    except Exception as exc:  # Redis down: PostgreSQL answers alone
        log.warning("cache.read_failed", error=str(exc))
        return None
    return fresh_json(entry, dirty)


async def _load_and_fill(ctx: IngressContext, project_id: str, user_id: str) -> dict[str, Any]:
    rows = await ctx.pool.fetch(LOAD, project_id, user_id)
    version = rows[0]["version"] if rows else 0
    entitlements = {row["entitlement_key"]: _grant(row) for row in rows if row["entitlement_key"]}
    if version > 0:
        try:
            keys, args = fill_args((project_id, user_id), version, entitlements)
            await ctx.redis.eval(STORE_IF_NEWER, len(keys), *keys, *args)
        except Exception as exc:
            log.warning("cache.fill_failed", error=str(exc))
    return entitlements


def _grant(row: asyncpg.Record) -> dict[str, Any]:
    return Grant(row["source"], row["source_id"], row["product_id"], row["expires_at"]).as_json()
