"""The CLI's composition root: the worker side's parts (workers/bootstrap.py), built once per
command on first use, so that no command builds its own engine, Redis client or broker."""

from __future__ import annotations

from functools import cache

from shared.settings import load_settings
from workers.bootstrap import WorkerParts, build_worker_parts


@cache
def parts() -> WorkerParts:
    """A one-shot command needs one connection; nothing connects until a store is used."""
    return build_worker_parts(load_settings(), pool_size=1)


def close_parts() -> None:
    """After a command: the next one (in the same process, as in tests) reads the settings anew."""
    if parts.cache_info().currsize:
        parts().engine.dispose()
    parts.cache_clear()
