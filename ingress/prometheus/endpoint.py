"""GET /metrics: Prometheus text of every web process (CONTRACT section 12); bearer
METRICS_TOKEN when set (401 without it), open otherwise."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ingress.context import IngressContext
from ingress.errors import json_error
from ingress.prometheus.store_gauges import read_store_gauges
from shared.prometheus.exposition import CONTENT_TYPE, exposition_text, token_accepted
from shared.prometheus.multiprocess import current_directory


async def prometheus_metrics(request: Request) -> Response:
    ctx: IngressContext = request.app.state.ctx
    if not token_accepted(request.headers.get("authorization"), ctx.settings.metrics_token):
        return json_error(401, "missing or wrong metrics token: send Authorization: Bearer <token>")
    gauges = await read_store_gauges(ctx.pool, ctx.redis)
    # reading the other processes' files is disk work: off the event loop
    body = await run_in_threadpool(exposition_text, current_directory(), [gauges])
    return Response(body, media_type=CONTENT_TYPE)
