"""GET /api/v1/docs: the OpenAPI document as a page people can read and try, with Swagger UI's
files served by the service itself (the swagger-ui-bundle package), so it works air-gapped and
asks no third-party host for anything."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/api/v1/docs/assets"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>billing API</title>
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "/api/v1/openapi.json", dom_id: "#swagger-ui"}});
  </script>
</body>
</html>
"""


async def docs_page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


def assets() -> StaticFiles:
    return StaticFiles(directory=Path(swagger_ui_path))
