"""PUT/GET/DELETE /api/v1/projects/{project_id}/customers/{customer_id}: an app links a Stripe
customer to its own user, with the project's app key (CONTRACT section 8)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingress.auth import authorize_app
from ingress.context import IngressContext
from ingress.errors import json_error
from shared.operations import customer_links
from shared.operations.customer_links import LinkRefused

MAX_BODY_BYTES = 16 * 1024


async def customer_link(request: Request) -> Response:
    project_id = request.path_params["project_id"]
    customer_id = request.path_params["customer_id"]
    if denied := await authorize_app(request, project_id):
        return denied
    ctx: IngressContext = request.app.state.ctx
    try:
        customer_links.validate_customer_id(customer_id)
        if request.method == "PUT":
            user_id = customer_links.validate_user_id(await _user_id(request))
            made = await run_in_threadpool(
                customer_links.link, ctx.uow, project_id, customer_id, user_id
            )
            return JSONResponse(made.as_json())
        if request.method == "DELETE":
            await run_in_threadpool(customer_links.unlink, ctx.uow, project_id, customer_id)
            return Response(status_code=204)
        found = await run_in_threadpool(
            customer_links.get_link, ctx.engine, project_id, customer_id
        )
    except LinkRefused as exc:
        return json_error(exc.status, str(exc))
    if found is None:
        return json_error(404, "this customer is not linked to a user of this project")
    return JSONResponse(found.as_json())


async def _user_id(request: Request) -> object:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise LinkRefused(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except ValueError:
        raise LinkRefused('body must be JSON: {"user_id": "…"}') from None
    if not isinstance(body, dict):
        raise LinkRefused('body must be a JSON object: {"user_id": "…"}')
    return body.get("user_id")
