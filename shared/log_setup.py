"""structlog set-up: JSON lines by default, a readable console form with LOG_FORMAT=console, and
rich's handler on a terminal for a CLI command that draws progress (the lines scroll above it)."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import structlog

from shared.log_output import LoopTurnLines

if TYPE_CHECKING:
    from rich.console import Console

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip


def configure_logging(
    log_format: str, log_level: str = "info", *, console: Console | None = None
) -> None:
    """LOG_FORMAT and LOG_LEVEL for structlog and for the libraries' stdlib logging alike; every
    exception, a library's included, is rendered with its stack (never a `<traceback object>`).
    With a rich `console` (a terminal) every line goes through rich's handler on it instead."""
    level = LEVELS[log_level]
    if console is not None:
        _configure_rich(console, level)
        return
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())  # no escape codes in pipes
        if log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=LoopTurnLines(sys.stderr).as_text_io()),
        cache_logger_on_first_use=True,
    )
    # Libraries (uvicorn, dramatiq) log through stdlib: send them through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *([] if log_format == "console" else [structlog.processors.format_exc_info]),
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True


def _configure_rich(console: Console, level: int) -> None:
    """One handler for structlog and stdlib alike, so a progress bar on `console` stays whole."""
    from rich.logging import RichHandler

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = RichHandler(console=console, show_path=False, markup=False)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=False),  # rich colours the level and time
            ],
            foreign_pre_chain=[structlog.contextvars.merge_contextvars],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
