"""Who owns a subscription or purchase, as SQL: its own metadata owner, else its customer's.

An object whose metadata named a project that does not exist (or a project but no user) keeps
that name in `unattributed_project_id` and is never attributed, not even through its customer.
One that named only a user (`named_user_id`) belongs to that user in its customer's project.
A customer's owner is its API link if an app made one, else its metadata link (generated
columns `owner_*`); an object's effective owner is kept on its row (`owner_*`) by the triggers
of migration 0010. Queries alias the object as `o` (and its customer as `c`).
"""

from __future__ import annotations


def owned_by_user(table: str, key: str, project: str, user: str) -> str:
    """The user's objects of `table`: one look-up on the effective owner that triggers keep on
    each object (migration 0010), so the cost of a recompute does not grow with the table and
    no statistics can turn it into a scan. `project` and `user` are the driver's placeholders
    (:p or $1). (`table` and `key` name what the query reads, for the callers' symmetry.)"""
    return f"o.owner_project_id = {project} AND o.owner_user_id = {user}"


OWNER_COLUMNS = "o.owner_project_id AS project_id, o.owner_user_id AS user_id"
