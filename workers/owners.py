"""Who a record belongs to: a project and one of its end users."""

from __future__ import annotations

from typing import NamedTuple


class Owner(NamedTuple):
    project_id: str
    user_id: str
