"""Starting or resuming an import for a worker (the admin API); the CLI runs one itself."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from shared.db.imports import create_import, load_import, reopen_import
from shared.refusals import Refused
from shared.statuses import RunStatus


class ImportNotStarted(Refused):
    """Refused before anything was queued."""


def request_import(
    engine: Engine, send: Callable[[str], None], trigger: str, resume: str | None
) -> str:
    """The import's id once a worker has been asked to run it."""
    if resume is None:
        import_id = create_import(engine, trigger)
    else:
        row = load_import(engine, resume)
        if row is None:
            raise ImportNotStarted(f"no import {resume!r}", status=404)
        if row["status"] == RunStatus.FINISHED:
            raise ImportNotStarted(f"import {resume} is finished; start a new one", status=409)
        import_id = resume
        reopen_import(engine, import_id)  # running from now on, not the last run's failure
    send(import_id)
    return import_id
