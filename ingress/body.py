"""Reading a request body with a hard size cap, before anything else looks at it."""

from starlette.requests import Request

from ingress.errors import WebhookRejected

MAX_BODY_BYTES = 1024 * 1024


async def read_body_capped(request: Request, limit_bytes: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit_bytes:
        raise WebhookRejected(f"body larger than {limit_bytes} bytes", status=413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise WebhookRejected(f"body larger than {limit_bytes} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)
