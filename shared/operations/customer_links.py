"""Apps linking a Stripe customer to their own user (CONTRACT section 8): for accounts whose
objects carry none of our metadata. An API link outranks a link derived from metadata; the users
who gain or lose objects by it are recomputed in the same unit of work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, Row

from shared.records import Owner
from shared.refusals import Refused
from shared.state.ownership import customer_owners, set_api_link
from shared.unit_of_work import UnitOfWork

CUSTOMER_ID_PATTERN = re.compile(r"^cus_[A-Za-z0-9]+$")
MAX_USER_ID_CHARS = 255
LinkSource = Literal["api", "metadata"]


class LinkRefused(Refused):
    """A customer link that cannot be made: a bad id, or a customer of another project."""


@dataclass(frozen=True)
class CustomerLink:
    project_id: str
    customer_id: str
    user_id: str
    source: LinkSource

    def as_json(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "customer_id": self.customer_id,
            "user_id": self.user_id,
            "source": self.source,
        }


def validate_customer_id(customer_id: str) -> str:
    if not CUSTOMER_ID_PATTERN.fullmatch(customer_id):
        raise LinkRefused(f"invalid customer id {customer_id!r}: expected cus_ and letters/digits")
    return customer_id


def validate_user_id(user_id: object) -> str:
    if not isinstance(user_id, str) or not user_id.strip():
        raise LinkRefused("user_id must be a non-empty string")
    if len(user_id) > MAX_USER_ID_CHARS or "\x00" in user_id:
        raise LinkRefused(f"user_id must be at most {MAX_USER_ID_CHARS} characters, without NUL")
    return user_id


def link(uow: UnitOfWork, project_id: str, customer_id: str, user_id: str) -> CustomerLink:
    """Link (or move) the customer to `user_id` of `project_id`. A customer owned in another
    project is refused (409): one project's app cannot take another's customers."""
    validate_customer_id(customer_id)
    validate_user_id(user_id)
    with uow.begin() as work:
        _refuse_foreign(customer_owners(work.tx, customer_id), project_id)
        work.touch(set_api_link(work.tx, customer_id, Owner(project_id, user_id)))
    return CustomerLink(project_id, customer_id, user_id, "api")


def unlink(uow: UnitOfWork, project_id: str, customer_id: str) -> None:
    """Remove the project's API link (a metadata link, if any, applies again); idempotent."""
    validate_customer_id(customer_id)
    with uow.begin() as work:
        row = customer_owners(work.tx, customer_id)
        if row is None or row.api_project_id != project_id:
            return
        work.touch(set_api_link(work.tx, customer_id, None))


def get_link(engine: Engine, project_id: str, customer_id: str) -> CustomerLink | None:
    """The customer's link in this project: the API link, else the metadata link."""
    validate_customer_id(customer_id)
    with engine.connect() as conn:
        row = customer_owners(conn, customer_id)
    if row is None or row.owner_project_id != project_id:
        return None
    source: LinkSource = "api" if row.api_project_id is not None else "metadata"
    return CustomerLink(project_id, customer_id, row.owner_user_id, source)


def _refuse_foreign(row: Row[Any] | None, project_id: str) -> None:
    if row is not None and row.owner_project_id not in (None, project_id):
        raise LinkRefused("this customer belongs to another project", status=409)
