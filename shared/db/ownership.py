"""Who owns a subscription or purchase, as SQL: its own metadata owner, else its customer's.

An object whose metadata named a project that does not exist (or a project but no user) keeps
that name in `unattributed_project_id` and is never attributed, not even through its customer.
One that named only a user (`named_user_id`) belongs to that user in its customer's project.
Queries alias the object as `o` and LEFT JOIN customers as `c`; a customer's owner is its
API link if an app made one, else its metadata link (generated columns `owner_*`).
"""

from __future__ import annotations

JOIN_CUSTOMER = "LEFT JOIN customers c ON c.id = o.customer_id"


def owned_by_user(table: str, key: str, project: str, user: str) -> str:
    """`o.{key} IN (…)`: the user's objects of `table`, each of the three ways of owning one as
    its own index look-up (own metadata; the customer's owner; a user named with the customer's
    project), so the cost of a recompute does not grow with the table. `project` and `user` are
    the driver's placeholders (:p or $1)."""
    unowned = "o.project_id IS NULL AND o.unattributed_project_id IS NULL"
    return f"""o.{key} IN (
        SELECT o.{key} FROM {table} o WHERE o.project_id = {project} AND o.user_id = {user}
        UNION ALL
        SELECT o.{key} FROM customers c JOIN {table} o ON o.customer_id = c.id
        WHERE c.owner_project_id = {project} AND c.owner_user_id = {user}
          AND {unowned} AND o.named_user_id IS NULL
        UNION ALL
        SELECT o.{key} FROM {table} o JOIN customers c ON c.id = o.customer_id
        WHERE o.named_user_id = {user} AND {unowned} AND c.owner_project_id = {project})"""


def owned_by_project(project: str) -> str:
    return f"""(o.project_id = {project}
        OR (o.project_id IS NULL AND o.unattributed_project_id IS NULL
            AND c.owner_project_id = {project}))"""


OWNER_COLUMNS = """coalesce(o.project_id, CASE WHEN o.unattributed_project_id IS NULL
                                           THEN c.owner_project_id END) AS project_id,
    coalesce(o.user_id, CASE WHEN o.unattributed_project_id IS NULL
                                  AND c.owner_project_id IS NOT NULL
                             THEN coalesce(o.named_user_id, c.owner_user_id) END) AS user_id"""
