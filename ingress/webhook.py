"""POST /api/v1/webhooks/stripe: verify, store, enqueue. Nothing else happens on this path."""

from __future__ import annotations

import time

import asyncpg
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.body import read_body_capped
from ingress.context import IngressContext
from ingress.envelope import EventEnvelope, parse_event_envelope
from ingress.errors import DATABASE_ERRORS, WebhookRejected, discard_connections, json_error
from ingress.prometheus.web_metrics import UNVERIFIED_TYPE, WebhookOutcome, count_webhook
from ingress.signature import verify_stripe_signature
from shared.db.webhook_events import EventRow

log = structlog.get_logger("ingress.webhook")
WEBHOOK_PATH = "/api/v1/webhooks/stripe"


async def receive_stripe_webhook(request: Request) -> Response:
    ctx: IngressContext = request.app.state.ctx
    started = time.perf_counter()
    try:
        raw = await read_body_capped(request)
        body = _decode(raw)
        verify_stripe_signature(
            body,
            request.headers.get("stripe-signature"),
            tuple(secret.get_secret_value() for secret in ctx.settings.webhook_secrets),
            ctx.settings.webhook_tolerance_s,
        )
        envelope = parse_event_envelope(body)
    except WebhookRejected as exc:
        log.warning("webhook.rejected", reason=exc.reason, status=exc.status)
        count_webhook(UNVERIFIED_TYPE, WebhookOutcome.REJECTED)
        return json_error(exc.status, exc.reason)

    bound = log.bind(event_id=envelope.id, event_type=envelope.type)
    try:
        is_new = await ctx.committer.store(_row(envelope, body))
    except asyncpg.DataError as exc:
        bound.warning("webhook.rejected", reason="payload cannot be stored", error=str(exc))
        count_webhook(envelope.type, WebhookOutcome.REJECTED)
        return json_error(400, f"payload cannot be stored as JSON: {exc}")
    except DATABASE_ERRORS as exc:
        bound.error("webhook.store_failed", error=str(exc))
        await discard_connections(request)
        count_webhook(envelope.type, WebhookOutcome.UNAVAILABLE)
        return json_error(503, "database unavailable; retry later")

    if is_new:
        ctx.enqueuer.put(envelope.id)  # after the 2xx is decided; never waits for Redis
    bound.info("webhook.received", duplicate=not is_new, duration_ms=_ms_since(started))
    count_webhook(envelope.type, WebhookOutcome.NEW if is_new else WebhookOutcome.DUPLICATE)
    return JSONResponse({"received": True, "event_id": envelope.id, "duplicate": not is_new})


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("body is not UTF-8") from None


def _row(envelope: EventEnvelope, body: str) -> EventRow:
    return EventRow(
        id=envelope.id,
        type=envelope.type,
        api_version=envelope.api_version,
        created=envelope.created,
        livemode=envelope.livemode,
        payload=body,
    )
