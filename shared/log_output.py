"""Where structlog's lines go: standard error, one write a line, except in a thread running an
event loop (the web process), where the lines of one turn of the loop leave in one write at its
end. Under load the web process logs a line a webhook, and a system call each was about a
twentieth of its work; a line waits at most until the loop next looks for I/O."""

from __future__ import annotations

import asyncio
import atexit
import threading
from typing import TextIO, cast


class LoopTurnLines:
    """The file of structlog's WriteLogger (it calls only `write` and `flush`)."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._held: list[str] = []
        self._lock = threading.Lock()
        atexit.register(self._write_held)  # a loop that ended before its last turn's write

    def as_text_io(self) -> TextIO:
        return cast(TextIO, self)

    def write(self, text: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a plain thread (the workers, the CLI): at once
            self._file.write(text)
            return
        with self._lock:
            if not self._held:
                loop.call_soon(self._write_held)
            self._held.append(text)

    def flush(self) -> None:
        if not self._held:  # held lines are flushed by their loop turn's write
            self._file.flush()

    def _write_held(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        if held:
            self._file.write("".join(held))
            self._file.flush()
