"""A project's grace period for past_due subscriptions (CONTRACT section 10): setting it, and
the scheduler's pass that takes access away once a grace ends."""

from __future__ import annotations

from sqlalchemy import text

from shared.records import Owner
from shared.state.product_mapping import project_users
from shared.tenants import set_grace
from shared.unit_of_work import UnitOfWork

# Users holding a grant from a past_due subscription whose shown end (the earlier of its period
# end and its grace end) has passed, in a project with a grace: their recompute removes it.
GRACE_ENDED = text(
    """SELECT DISTINCT e.project_id, e.user_id
       FROM entitlements e
       JOIN projects p ON p.id = e.project_id AND p.grace_past_due_days IS NOT NULL
       JOIN subscriptions o ON o.id = e.source_id AND o.status = 'past_due'
       WHERE e.source = 'subscription' AND e.expires_at <= :now
       ORDER BY 1, 2 LIMIT 1000"""
)


def change_grace(uow: UnitOfWork, project_id: str, past_due_days: int | None) -> int:
    """Set the grace and recompute every user of the project in the same transaction; returns
    how many users were recomputed."""
    with uow.begin() as work:
        set_grace(work.tx, project_id, past_due_days)
        work.touch(project_users(work.tx, project_id))
    return len(work.touched)


def end_graces(uow: UnitOfWork) -> int:
    """Recompute the users whose grace has ended (the outgoing webhooks tell their apps)."""
    with uow.begin() as work:
        owners = [
            Owner(row.project_id, row.user_id)
            for row in work.tx.execute(GRACE_ENDED, {"now": uow.clock()})
        ]
        work.touch(owners)
    return len(owners)
