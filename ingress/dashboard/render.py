"""Pages out (Jinja2, autoescaped) and forms in (URL-encoded bodies, parsed here: no multipart
library needed for a few short fields)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ingress.dashboard import charts
from ingress.dashboard.session import Session

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
MAX_FORM_BYTES = 16 * 1024
# Only this service's own files: no other host is ever contacted, no inline script runs.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["charts"] = charts


class FormTooLarge(ValueError):
    pass


def page(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page; a signed-in one carries the session's CSRF token for its forms."""
    context["csrf_token"] = session.csrf_token if session else ""
    context["signed_in"] = session is not None
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def with_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


async def form_fields(request: Request) -> dict[str, str]:
    """The first value of each field of a URL-encoded form body."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormTooLarge(f"form over {MAX_FORM_BYTES} bytes")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}
