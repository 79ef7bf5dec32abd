"""A worker composition root for the end-to-end retry test: the service's own broker, inbox
and actors, with one handler that always fails (type `test.always_fails`).

Run as `python -m dramatiq tests.support.failing_worker`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.log_setup import configure_logging
from shared.records import Owner
from shared.settings import load_settings
from workers.actors import declare_event_actors
from workers.bootstrap import build_worker_parts
from workers.inbox import Inbox

ALWAYS_FAILS = "test.always_fails"


class HandlerAlwaysFails(RuntimeError):
    pass


def always_fails(tx: Connection, payload: dict[str, Any]) -> set[Owner]:
    raise HandlerAlwaysFails(f"cannot handle {payload['id']}")


settings = load_settings()
configure_logging(settings.log_format, settings.log_level)
parts = build_worker_parts(settings, pool_size=2)
broker = parts.broker
inbox = Inbox(uow=parts.uow, handlers={ALWAYS_FAILS: always_fails})
declare_event_actors(broker, inbox)
