"""What one transaction may remember between its statements: a batch of events reads a project's
configuration once, and knows which customers it has locked. Kept in the connection's `info`
beside the transaction it belongs to, so it means nothing to the next transaction."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection

KEY = "billing.transaction_scope"


def transaction_scope(tx: Connection) -> dict[Hashable, Any]:
    """A dict that lives exactly as long as `tx`'s current (outermost) transaction."""
    current = tx.get_transaction()
    if current is None:  # no transaction yet: nothing to remember it by (and no stale scope)
        return {}
    held = tx.info.get(KEY)
    if held is None or held[0] is not current:
        held = (current, {})
        tx.info[KEY] = held
    scope: dict[Hashable, Any] = held[1]
    return scope
