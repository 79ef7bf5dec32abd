"""What the adoption end-to-end tests share: the environment of a process talking to the fake
Stripe API, the project set up as the README's walk-through does, one-time purchases beside the
account of tests/db/adoption/account.py, and the service's end state read back from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from shared import tenants
from tests import stripe_events as se
from tests.db.adoption.account import PROJECT, Account, customer_id, user_id
from tests.fakes.params import Params
from tests.fakes.stripe_api import FakeStripe
from tests.support.stores import process_env

Row = dict[str, Any]
BOOK = "prod_book"
BOOK_PRICE = 5000
# The fields of an import as CONTRACT section 8 shows it.
SUMMARY_FIELDS = frozenset(
    {
        "import_id",
        "status",
        "customers",
        "checkout_sessions",
        "subscriptions",
        "purchases",
        "owners_linked",
        "unowned",
        "errors",
        "started_at",
        "finished_at",
    }
)
COUNTERS = sorted(SUMMARY_FIELDS - {"import_id", "status", "started_at", "finished_at"})
LIST_PATHS = frozenset(
    {"/v1/customers", "/v1/checkout/sessions", "/v1/subscriptions", "/v1/payment_intents"}
)
# Columns dated by when a page was listed (so by the wall clock of the run), or bookkeeping:
# everything else of the end state must not depend on how the import was run.
RUN_DEPENDENT = frozenset(
    {
        "updated_at",
        "snapshot_created",
        "owner_created",
        "first_paying_created",  # the listing time of the page, like snapshot_created
        "linked_by_created",
        "payment_created",
    }
)
END_STATE_TABLES = ("customers", "subscriptions", "purchases", "entitlements")


def stripe_env(fake: FakeStripe, **overrides: str) -> dict[str, str]:
    """A service process's environment: the test stores, the fake as the Stripe API, no rate
    limit unless `overrides` sets STRIPE_API_RATE."""
    return process_env(**stripe_overrides(fake, **overrides))


def stripe_overrides(fake: FakeStripe, **overrides: str) -> dict[str, str]:
    """The same, as keyword overrides of tests.support.cli.billing."""
    return {
        "STRIPE_SECRET_KEY": fake.api_key,
        "STRIPE_API_BASE": fake.base_url,
        "STRIPE_API_RATE": "0",
        **overrides,
    }


def set_up_acme(engine: Engine) -> str:
    """`billing projects create acme`, `projects default acme`, `projects user-keys acme userId
    user_id`, through the module those commands use (the CLI itself is tested on its own)."""
    with engine.begin() as tx:
        tenants.create_project(tx, PROJECT, None)
        tenants.set_default_project(tx, PROJECT)
        tenants.set_user_id_keys(tx, PROJECT, ["userId", "user_id"])
    return PROJECT


def app_key(engine: Engine, project_id: str = PROJECT) -> str:
    with engine.begin() as tx:
        _, key = tenants.create_app(tx, project_id, "e2e")
    return key


def add_book_purchases(
    fake: FakeStripe, account: Account, customers: Iterable[int], created: int = 1_700_500_000
) -> list[str]:
    """One succeeded one-time purchase of `prod_book` per customer number, its owner in the
    PaymentIntent's own metadata; every second one partly refunded (its latest charge says so).
    Returns the PaymentIntent ids."""
    ids = []
    for n in customers:
        pi_id, ch_id = f"pi_book_{n:06d}", f"ch_book_{n:06d}"
        refunded = 1000 if n % 2 else 0
        fake.add_charge(
            se.charge(
                ch_id,
                payment_intent=pi_id,
                amount=BOOK_PRICE,
                amount_refunded=refunded,
                customer=customer_id(n),
                created=created + n,
            )
        )
        fake.add_payment_intent(
            se.payment_intent(
                pi_id,
                amount=BOOK_PRICE,
                customer=customer_id(n),
                metadata={"project_id": PROJECT, "user_id": user_id(n), "product_id": BOOK},
                latest_charge=ch_id,
                created=created + n,
            )
        )
        account.users.setdefault(customer_id(n), user_id(n))
        ids.append(pi_id)
    return ids


def rows(engine: Engine, sql: str, **params: Any) -> list[Row]:
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(text(sql), params).mappings()]


def end_state(engine: Engine) -> dict[str, list[Row]]:
    """Every row of the tables an import writes, without the run-dependent columns, sorted."""
    state = {}
    for table in END_STATE_TABLES:
        found = [
            {k: v for k, v in row.items() if k not in RUN_DEPENDENT}
            for row in rows(engine, f"SELECT * FROM {table}")
        ]
        state[table] = sorted(found, key=lambda row: [repr(v) for v in row.values()])
    return state


def entitled_users(engine: Engine, product_id: str, project_id: str = PROJECT) -> set[str]:
    return {
        row["user_id"]
        for row in rows(
            engine,
            "SELECT user_id FROM entitlements WHERE project_id = :p AND product_id = :product",
            p=project_id,
            product=product_id,
        )
    }


def import_rows(engine: Engine) -> list[Row]:
    return rows(engine, "SELECT * FROM imports ORDER BY started_at")


def list_requests(log: Iterable[tuple[str, str, Params]]) -> list[tuple[str, str | None]]:
    """The list requests among the fake's requests, each as (path, starting_after): a page."""
    return [
        (path, params.get("starting_after"))
        for method, path, params in log
        if method == "GET" and path in LIST_PATHS
    ]


def is_iso_utc(value: object) -> bool:
    if not isinstance(value, str) or not value.endswith("Z"):
        return False
    try:
        datetime.fromisoformat(value.removesuffix("Z") + "+00:00")
    except ValueError:
        return False
    return True
