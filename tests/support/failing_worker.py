"""A worker composition root for the end-to-end retry test: the service's own broker, inbox
and actors, with one handler that always fails (type `test.always_fails`).

Run as `python -m dramatiq tests.support.failing_worker`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from shared.db.engine import create_sync_engine
from shared.log_setup import configure_logging
from shared.queue import create_broker
from shared.settings import load_settings
from workers.actors import declare_event_actors
from workers.inbox import Inbox
from workers.owners import Owner

ALWAYS_FAILS = "test.always_fails"


class HandlerAlwaysFails(RuntimeError):
    pass


def always_fails(tx: Connection, payload: dict[str, Any]) -> set[Owner]:
    raise HandlerAlwaysFails(f"cannot handle {payload['id']}")


settings = load_settings()
configure_logging(settings.log_format)
broker = create_broker(settings)
inbox = Inbox(
    engine=create_sync_engine(settings, pool_size=2),
    handlers={ALWAYS_FAILS: always_fails},
    recompute=lambda tx, owners: None,
    after_commit=lambda owners: None,
)
declare_event_actors(broker, inbox)
