"""The dashboard's routes, mounted at /admin by the composition root (ingress/app.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from ingress.dashboard import (
    event_pages,
    overview,
    project_pages,
    reconciliation_action,
    sign_in,
    user_page,
)
from ingress.dashboard.guard import admin_key, not_found
from ingress.dashboard.render import STATIC_DIR

POST = ["POST"]


class DashboardAssets:
    """The stylesheet, served by the service itself; absent like every page while the dashboard
    is off."""

    def __init__(self) -> None:
        self.files = StaticFiles(directory=str(STATIC_DIR))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if admin_key(request) is None:
            await not_found(request)(scope, receive, send)
            return
        await self.files(scope, receive, send)


def routes() -> list[BaseRoute]:
    return [
        Mount(
            "/admin",
            routes=[
                Route("/", overview.overview),
                Route("/login", sign_in.sign_in_page),
                Route("/login", sign_in.sign_in, methods=POST),
                Route("/logout", sign_in.sign_out, methods=POST),
                Route("/events", event_pages.event_list),
                Route("/events/retry-failed", event_pages.retry_failed, methods=POST),
                Route("/events/{event_id}", event_pages.event_detail),
                Route("/events/{event_id}/retry", event_pages.retry_event, methods=POST),
                Route("/reconciliation", reconciliation_action.start_run, methods=POST),
                Route("/users", user_page.user_lookup),
                Route("/projects", project_pages.project_list),
                Route("/projects/{project_id}", project_pages.project_detail),
                Route(
                    "/projects/{project_id}/apps/{app_id}/revoke",
                    project_pages.revoke_app,
                    methods=POST,
                ),
                Route("/projects/{project_id}/products", project_pages.map_product, methods=POST),
                Route(
                    "/projects/{project_id}/products/remove",
                    project_pages.unmap_product,
                    methods=POST,
                ),
                Route(
                    "/deliveries/{delivery_id}/resend",
                    project_pages.resend_delivery,
                    methods=POST,
                ),
                Mount("/static", app=DashboardAssets(), name="dashboard-static"),
            ],
        )
    ]
