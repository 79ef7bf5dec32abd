"""Who may see a page or submit a form: 404 while ADMIN_API_KEY is unset (as for the admin API),
303 to the sign-in page without a valid session, 403 for a form without this session's CSRF
token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingress.context import IngressContext
from ingress.dashboard.render import FormTooLarge, form_fields, page, with_security_headers
from ingress.dashboard.session import Session, read_session
from ingress.errors import json_error

SIGN_IN_PATH = "/admin/login"
Endpoint = Callable[[Request], Awaitable[Response]]
Page = Callable[[Request, Session], Awaitable[Response]]
Action = Callable[[Request, Session, dict[str, str]], Awaitable[Response]]


def admin_key(request: Request) -> str | None:
    ctx: IngressContext = request.app.state.ctx
    key = ctx.settings.admin_api_key
    return key.get_secret_value() or None if key is not None else None


def not_found(request: Request) -> Response:
    """The answer of any unknown path: a dashboard that is off does not exist."""
    return json_error(404, f"no route {request.url.path}")


def to_sign_in() -> Response:
    return with_security_headers(RedirectResponse(SIGN_IN_PATH, status_code=303))


def signed_in(view: Page) -> Endpoint:
    """A page for a signed-in operator."""

    async def endpoint(request: Request) -> Response:
        key = admin_key(request)
        if key is None:
            return not_found(request)
        session = read_session(request, key)
        if session is None:
            return to_sign_in()
        return await view(request, session)

    return endpoint


def action(view: Action) -> Endpoint:
    """A form that changes something: a signed-in operator, and the session's CSRF token."""

    async def checked(request: Request, session: Session) -> Response:
        try:
            fields = await form_fields(request)
        except FormTooLarge as exc:
            return refused(request, session, 413, str(exc))
        if not session.accepts(fields.get("csrf_token")):
            message = "This form's CSRF token is missing or wrong: reload the page and try again."
            return refused(request, session, 403, message)
        return await view(request, session, fields)

    return signed_in(checked)


def refused(request: Request, session: Session | None, status: int, message: str) -> Response:
    """An action that could not be done, with the reason and a way back."""
    return page(request, "refused.html", session, status_code=status, message=message)
