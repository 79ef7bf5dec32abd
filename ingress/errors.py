"""JSON error answers: every refusal names its reason."""

from starlette.responses import JSONResponse


class WebhookRejected(Exception):
    """A webhook refused before anything is stored; `status` is the HTTP answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
