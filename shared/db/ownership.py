"""Who owns a subscription or purchase, as SQL: its own metadata owner, else its customer's.

An object whose metadata named a project that does not exist (or a project but no user) keeps
that name in `unattributed_project_id` and is never attributed, not even through its customer.
One that named only a user (`named_user_id`) belongs to that user in its customer's project.
Queries alias the object as `o` and LEFT JOIN customers as `c`; a customer's owner is its
API link if an app made one, else its metadata link (generated columns `owner_*`).
"""

from __future__ import annotations

JOIN_CUSTOMER = "LEFT JOIN customers c ON c.id = o.customer_id"


def owned_by_user(project: str, user: str) -> str:
    """Predicate for one user; `project`/`user` are the driver's placeholders (:p or $1)."""
    return f"""((o.project_id = {project} AND o.user_id = {user})
        OR (o.project_id IS NULL AND o.unattributed_project_id IS NULL
            AND c.owner_project_id = {project}
            AND coalesce(o.named_user_id, c.owner_user_id) = {user}))"""


def owned_by_project(project: str) -> str:
    return f"""(o.project_id = {project}
        OR (o.project_id IS NULL AND o.unattributed_project_id IS NULL
            AND c.owner_project_id = {project}))"""


OWNER_COLUMNS = """coalesce(o.project_id, CASE WHEN o.unattributed_project_id IS NULL
                                           THEN c.owner_project_id END) AS project_id,
    coalesce(o.user_id, CASE WHEN o.unattributed_project_id IS NULL
                                  AND c.owner_project_id IS NOT NULL
                             THEN coalesce(o.named_user_id, c.owner_user_id) END) AS user_id"""
