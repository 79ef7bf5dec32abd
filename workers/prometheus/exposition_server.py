"""The workers' Prometheus exposition on WORKER_METRICS_PORT: one HTTP server, in the `billing
worker` parent, reading the files that all its Dramatiq processes (the event pool and the
enrichment process alike) count into. Bearer METRICS_TOKEN when set, like GET /metrics."""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from shared.prometheus.exposition import CONTENT_TYPE, exposition_text, token_accepted
from shared.settings import SettingsError

METRICS_PATHS = ("/metrics", "/")


class PortUnavailable(SettingsError):
    """WORKER_METRICS_PORT is taken (another `billing worker` on this host?)."""


class _MetricsHandler(BaseHTTPRequestHandler):
    def __init__(self, directory: Path, token: SecretStr | None, *args: Any) -> None:
        self.directory = directory
        self.token = token
        super().__init__(*args)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in METRICS_PATHS:
            self._answer(404, _error("no route here: GET /metrics"), "application/json")
        elif not token_accepted(self.headers.get("authorization"), self.token):
            message = "missing or wrong metrics token: send Authorization: Bearer <token>"
            self._answer(401, _error(message), "application/json")
        else:
            self._answer(200, exposition_text(str(self.directory)), CONTENT_TYPE)

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not worth a log line each."""


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


def start_exposition_server(
    port: int, directory: Path, token: SecretStr | None, host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    """Bound before any worker starts, so a taken port stops `billing worker` at once."""
    try:
        server = ThreadingHTTPServer((host, port), partial(_MetricsHandler, directory, token))
    except OSError as exc:
        raise PortUnavailable(
            f"WORKER_METRICS_PORT={port} cannot be bound ({exc.strerror}): another process "
            "listens there; choose another port"
        ) from None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
