"""A real HTTP receiver on a loopback port for outgoing webhooks: records what arrives and
answers as a script says (a status code, or a hang of some seconds first)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Script:
    """Answers in order; the last one repeats. ("hang", s) sleeps s seconds, then answers 200."""

    answers: list[Any] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> Any:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        script = self.server.script
        with script.lock:
            script.received.append(Received(self.path, dict(self.headers.items()), body))
        answer = script.next_answer()
        if isinstance(answer, tuple):
            time.sleep(answer[1])
            answer = 200
        try:
            self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script


@contextmanager
def receiver(*answers: Any) -> Iterator[tuple[str, Script]]:
    """(url, script) of a receiver serving until the block ends."""
    script = Script(list(answers) or [200])
    server = _Server(script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", script
    finally:
        server.shutdown()
        server.server_close()
