"""The ingress process's composition root: settings, pool, broker and routes, built once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from ingress import (
    admin_adoption,
    admin_endpoints,
    admin_events,
    admin_reconciliation,
    api_docs,
    customer_links,
    health,
    openapi,
    webhook,
)
from ingress.context import IngressContext
from ingress.dashboard import routes as dashboard
from ingress.enqueuer import BackgroundEnqueuer
from ingress.errors import DATABASE_ERRORS, database_unavailable, http_error, internal_error
from ingress.group_commit import GroupCommitter
from ingress.path_guard import RefuseNulBytes
from ingress.prometheus.endpoint import prometheus_metrics
from ingress.read_api import entitlements, metrics
from ingress.read_api.entitlements_fast_path import EntitlementsFastPath
from ingress.request_log import RequestLogMiddleware
from ingress.webhook_fast_path import WebhookFastPath
from shared.db.engine import create_async_pool, create_sync_engine
from shared.entitlements.cache_refresh import EntitlementCache
from shared.log_setup import configure_logging
from shared.queue import create_broker, enqueue_deliveries, enqueue_events
from shared.redis_client import create_async_redis, create_redis
from shared.settings import Settings, SettingsError, load_settings, warn_about_unusual_values
from shared.unit_of_work import UnitOfWork

log = structlog.get_logger("ingress")


class MissingWebhookSecret(SettingsError):
    pass


def routes() -> list[BaseRoute]:
    admin = "/api/v1/admin/webhook-events"
    return [
        Route("/health", health.health),
        Route("/live", health.health),
        Route("/ready", health.ready),
        Route("/metrics", prometheus_metrics),
        Route("/api/v1/openapi.json", openapi.openapi_document),
        Route("/api/v1/docs", api_docs.docs_page),
        Mount(api_docs.ASSETS_PATH, app=api_docs.assets(), name="docs-assets"),
        Route(webhook.WEBHOOK_PATH, webhook.receive_stripe_webhook, methods=["POST"]),
        Route(
            "/api/v1/entitlements/project/{project_id}/user/{user_id}",
            entitlements.get_user_entitlements,
        ),
        Route(
            "/api/v1/projects/{project_id}/customers/{customer_id}",
            customer_links.customer_link,
            methods=["GET", "PUT", "DELETE"],
        ),
        Route("/api/v1/metrics/project/{project_id}/subscriptions", metrics.subscription_metrics),
        Route("/api/v1/metrics/project/{project_id}/revenue", metrics.revenue_metrics),
        Route("/api/v1/metrics/project/{project_id}/mrr", metrics.mrr_metrics),
        Route("/api/v1/metrics/project/{project_id}/movements", metrics.movement_metrics),
        Route(
            "/api/v1/admin/reconciliation",
            admin_reconciliation.start_reconciliation,
            methods=["POST"],
        ),
        Route("/api/v1/admin/reconciliation/{run_id}", admin_reconciliation.get_reconciliation),
        Route("/api/v1/admin/imports", admin_adoption.start_import, methods=["POST"]),
        Route("/api/v1/admin/imports/{import_id}", admin_adoption.get_import),
        Route(
            "/api/v1/admin/customers/{customer_id}/resync",
            admin_adoption.resync_customer,
            methods=["POST"],
        ),
        Route("/api/v1/admin/customers/{customer_id}", admin_adoption.get_customer),
        Route("/api/v1/admin/projects/{project_id}/users/{user_id}", admin_adoption.get_user),
        Route(
            "/api/v1/admin/projects/{project_id}/endpoints",
            admin_endpoints.add_endpoint,
            methods=["POST"],
        ),
        Route("/api/v1/admin/projects/{project_id}/endpoints", admin_endpoints.list_endpoints),
        Route(
            "/api/v1/admin/endpoints/{endpoint_id}",
            admin_endpoints.remove_endpoint,
            methods=["DELETE"],
        ),
        Route("/api/v1/admin/endpoints/{endpoint_id}/deliveries", admin_endpoints.list_deliveries),
        Route(
            "/api/v1/admin/deliveries/{delivery_id}/resend",
            admin_endpoints.resend_delivery,
            methods=["POST"],
        ),
        Route(f"{admin}", admin_events.list_webhook_events),
        Route(f"{admin}/retry-failed", admin_events.retry_failed_webhook_events, methods=["POST"]),
        Route(f"{admin}/{{event_id}}", admin_events.get_webhook_event),
        Route(f"{admin}/{{event_id}}/retry", admin_events.retry_webhook_event, methods=["POST"]),
        *dashboard.routes(),
    ]


def require_webhook_secrets(settings: Settings) -> None:
    """The web process refuses to start without a secret: it could verify no webhook."""
    if not settings.webhook_secrets:
        raise MissingWebhookSecret(
            "STRIPE_WEBHOOK_SECRET is not set: the web process cannot verify Stripe's "
            "signatures without it (copy it from the Stripe dashboard or `stripe listen`)"
        )


def create_app(settings: Settings) -> EntitlementsFastPath:
    require_webhook_secrets(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_sync_engine(settings, pool_size=2)
        broker = create_broker(settings)
        pool = await create_async_pool(settings)
        ctx = IngressContext(
            settings=settings,
            pool=pool,
            broker=broker,
            redis=create_async_redis(settings),
            engine=engine,
            uow=UnitOfWork(
                engine,
                EntitlementCache(create_redis(settings)),
                send_deliveries=partial(enqueue_deliveries, broker),
            ),
            committer=GroupCommitter(pool),
            enqueuer=BackgroundEnqueuer(partial(enqueue_events, broker)),
        )
        ctx.committer.start()
        ctx.enqueuer.start()
        app.state.ctx = ctx
        log.info("ingress.started", webhook_secrets=len(settings.webhook_secrets))
        yield
        await ctx.committer.stop()
        ctx.enqueuer.stop()
        await ctx.pool.close()
        await ctx.redis.aclose()
        ctx.broker.close()
        ctx.engine.dispose()

    handlers: dict[Any, Any] = {error: database_unavailable for error in DATABASE_ERRORS}
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(RequestLogMiddleware), Middleware(RefuseNulBytes)],
        lifespan=lifespan,
        exception_handlers={**handlers, HTTPException: http_error, Exception: internal_error},
    )
    return EntitlementsFastPath(app, then=WebhookFastPath(app))


def create_app_from_env() -> EntitlementsFastPath:
    """uvicorn factory (`billing serve`): reads the environment once."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    warn_about_unusual_values(settings)
    return create_app(settings)
