"""Tables of the service.

Alembic migrations are checked against these (tests/db/test_migrations.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.statuses import (
    PAID_PURCHASE_STATUSES,
    PAYING_SUBSCRIPTION_STATUSES,
    EventStatus,
    RunStatus,
    sql_list,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class WebhookEvent(Base):
    """The inbox: every Stripe event exactly as it arrived, keyed by Stripe's event id."""

    __tablename__ = "webhook_events"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    type: Mapped[str] = mapped_column(Text, nullable=False)
    api_version: Mapped[str | None] = mapped_column(Text)
    created: Mapped[int] = mapped_column(BigInteger, nullable=False)
    livemode: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    payload: Mapped[dict[str, object]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=EventStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    error_message: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = _now()
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Relay bookkeeping: when the id was last put on the queue, and how often.
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enqueue_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))

    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'processed', 'skipped', 'failed')", name="status_known"
        ),
        Index(
            "ix_webhook_events_relay",
            "enqueued_at",
            postgresql_where=text("status = 'received'"),
        ),
        Index("ix_webhook_events_status_received_at", "status", "received_at"),
    )


class Project(Base):
    """A product selling through the Stripe account. At most one is the default: the project of
    every object whose metadata names none. `user_id_keys`: the metadata keys read, in order,
    for the user id."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    user_id_keys: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{user_id}'")
    )
    grace_past_due_days: Mapped[int | None] = mapped_column(Integer)  # None: unlimited

    __table_args__ = (
        CheckConstraint("id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'", name="id_format"),
        CheckConstraint("cardinality(user_id_keys) > 0", name="user_id_keys_named"),
        Index(
            "uq_projects_one_default",
            "is_default",
            unique=True,
            postgresql_where=text("is_default"),
        ),
    )


class App(Base):
    """An API client of one project. Only a SHA-256 of its key is kept."""

    __tablename__ = "apps"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    key_hash: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_prefix: Mapped[str] = mapped_column(Text, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[datetime] = _now()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Customer(Base):
    """A Stripe customer and its owner: the link an app made through the API if there is one,
    else the owner it was first seen with in metadata (the earliest-dated owner wins)."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[str | None] = mapped_column(Text)
    linked_by_created: Mapped[int | None] = mapped_column(BigInteger)
    api_project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    api_user_id: Mapped[str | None] = mapped_column(Text)
    owner_project_id: Mapped[str | None] = mapped_column(
        Text, Computed("coalesce(api_project_id, project_id)", persisted=True)
    )
    owner_user_id: Mapped[str | None] = mapped_column(
        Text,
        Computed(
            "CASE WHEN api_project_id IS NOT NULL THEN api_user_id ELSE user_id END",
            persisted=True,
        ),
    )

    __table_args__ = (
        CheckConstraint("(project_id IS NULL) = (user_id IS NULL)", name="owner_whole"),
        CheckConstraint("(api_project_id IS NULL) = (api_user_id IS NULL)", name="api_owner_whole"),
        Index("ix_customers_owner", "owner_project_id", "owner_user_id"),
    )


class Subscription(Base):
    """Latest snapshot of a Stripe subscription. `project_id`/`user_id` hold only the object's own
    metadata; `owner_*` the effective owner, its customer's when it names none."""

    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(Text, index=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[str | None] = mapped_column(Text)
    unattributed_project_id: Mapped[str | None] = mapped_column(Text)
    owner_created: Mapped[int | None] = mapped_column(BigInteger)
    named_user_id: Mapped[str | None] = mapped_column(Text)
    # The effective owner (own metadata, else the customer's), kept by triggers (migration 0010)
    owner_project_id: Mapped[str | None] = mapped_column(Text)
    owner_user_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    status_rank: Mapped[int] = mapped_column(Integer, nullable=False)
    product_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False)
    current_period_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, nullable=False)
    currency: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    snapshot_created: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = _now()
    mrr: Mapped[Decimal] = mapped_column(Numeric, nullable=False, server_default=text("0"))
    mrr_not_counted: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    # `created` of the first paying snapshot seen: the least, so order-independent
    first_paying_created: Mapped[int | None] = mapped_column(BigInteger)
    first_paying_mrr: Mapped[Decimal | None] = mapped_column(Numeric)
    first_paying_currency: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("(project_id IS NULL) = (user_id IS NULL)", name="owner_whole"),
        Index("ix_subscriptions_owner", "project_id", "user_id"),
        Index("ix_subscriptions_effective_owner", "owner_project_id", "owner_user_id"),
        Index(
            "ix_subscriptions_named_user",
            "named_user_id",
            postgresql_where=text("named_user_id IS NOT NULL"),
        ),
        # The currencies of the subscriptions that pay only after a movements window
        Index(
            "ix_subscriptions_first_paying",
            "owner_project_id",
            "first_paying_currency",
            "first_paying_created",
            postgresql_where=text("first_paying_created IS NOT NULL"),
        ),
        # The metrics by status and the MRR, by index-only scans (shared/metrics/queries.py;
        # the predicate is the MRR statement's own, so that PostgreSQL can prove it)
        Index("ix_subscriptions_by_status", "owner_project_id", "status"),
        Index(
            "ix_subscriptions_paying_mrr",
            "owner_project_id",
            "currency",
            postgresql_include=["mrr", "mrr_not_counted"],
            postgresql_where=text(
                f"NOT deleted AND status IN {sql_list(PAYING_SUBSCRIPTION_STATUSES)}"
            ),
        ),
    )


# What the movements read of a history row besides its span (index-only scans)
MOVEMENTS_READ = (
    "subscription_id",
    "paying",
    "mrr",
    "currency",
    "first_paying_created",
    "first_paying_currency",
)


class SubscriptionHistory(Base):
    """Every applied snapshot's effective state, by `created`, append-only: the state of a
    subscription at any moment without Stripe. `valid_to` is the next snapshot's `created`
    (NULL for the newest), kept right whatever order the snapshots came in. Each row also
    carries its subscription's owner project and first paying snapshot, copied by triggers
    (migration 0011), so that the movements read the history alone."""

    __tablename__ = "subscription_history"
    subscription_id: Mapped[str] = mapped_column(Text, primary_key=True)
    created: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    status_rank: Mapped[int] = mapped_column(Integer, nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    paying: Mapped[bool] = mapped_column(Boolean, nullable=False)
    mrr: Mapped[Decimal] = mapped_column(Numeric, nullable=False)
    currency: Mapped[str | None] = mapped_column(Text)
    not_counted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    valid_to: Mapped[int | None] = mapped_column(BigInteger)
    # The subscription's, copied (migration 0011)
    owner_project_id: Mapped[str | None] = mapped_column(Text)
    first_paying_created: Mapped[int | None] = mapped_column(BigInteger)
    first_paying_mrr: Mapped[Decimal | None] = mapped_column(Numeric)
    first_paying_currency: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # Covering the movements' reads (index-only scans) of the subscriptions that ever paid,
        # see shared/metrics/queries.py
        Index(
            "ix_subscription_history_by_created",
            "owner_project_id",
            "created",
            postgresql_include=["valid_to", *MOVEMENTS_READ, "first_paying_mrr"],
            postgresql_where=text("first_paying_created IS NOT NULL"),
        ),
        Index(
            "ix_subscription_history_by_valid_to",
            "owner_project_id",
            "valid_to",
            "created",
            postgresql_include=list(MOVEMENTS_READ),
            postgresql_where=text("first_paying_created IS NOT NULL"),
        ),
    )


class SubscriptionInvoice(Base):
    """A subscription's invoice: paid once any event says so (it never becomes unpaid)."""

    __tablename__ = "subscription_invoices"
    invoice_id: Mapped[str] = mapped_column(Text, primary_key=True)
    subscription_id: Mapped[str | None] = mapped_column(Text, index=True)
    customer_id: Mapped[str | None] = mapped_column(Text, index=True)
    payment_intent_id: Mapped[str | None] = mapped_column(Text, index=True)
    currency: Mapped[str | None] = mapped_column(Text)
    amount_paid: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    paid: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Kept by triggers (migration 0013): its subscription's effective owner's project, else its
    # customer's; its payment's refund, capped at what it paid.
    owner_project_id: Mapped[str | None] = mapped_column(Text)
    refunded_minor: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )

    __table_args__ = (
        # Covering the subscription revenue's reads (index-only scans), shared/metrics/queries.py
        Index(
            "ix_subscription_invoices_revenue",
            "owner_project_id",
            "currency",
            postgresql_include=["amount_paid", "refunded_minor"],
            postgresql_where=text("paid"),
        ),
        Index(
            "ix_subscription_invoices_revenue_by_day",
            "owner_project_id",
            "created",
            postgresql_include=["currency", "amount_paid"],
            postgresql_where=text("paid"),
        ),
    )


class SubscriptionPayment(Base):
    """A subscription's latest invoice outcome; it never changes the subscription's status."""

    __tablename__ = "subscription_payments"
    subscription_id: Mapped[str] = mapped_column(Text, primary_key=True)
    invoice_id: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(Text, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event_created: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("outcome IN ('paid', 'failed')", name="outcome_known"),)


class Purchase(Base):
    """A PaymentIntent seen in any event. It counts as a purchase once it has an owner source
    (metadata user_id or a payment-mode Checkout Session) and is not an invoice's payment."""

    __tablename__ = "purchases"
    payment_intent_id: Mapped[str] = mapped_column(Text, primary_key=True)
    checkout_session_id: Mapped[str | None] = mapped_column(Text, unique=True)
    customer_id: Mapped[str | None] = mapped_column(Text, index=True)
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[str | None] = mapped_column(Text)
    unattributed_project_id: Mapped[str | None] = mapped_column(Text)
    owner_created: Mapped[int | None] = mapped_column(BigInteger)
    named_user_id: Mapped[str | None] = mapped_column(Text)
    # The effective owner (own metadata, else the customer's), kept by triggers (migration 0010)
    owner_project_id: Mapped[str | None] = mapped_column(Text)
    owner_user_id: Mapped[str | None] = mapped_column(Text)
    names_user: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    invoice_id: Mapped[str | None] = mapped_column(Text)
    product_id: Mapped[str | None] = mapped_column(Text)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    amount_refunded_minor: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    currency: Mapped[str | None] = mapped_column(Text)
    payment_status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    payment_created: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    status: Mapped[str] = mapped_column(
        Text,
        Computed(
            "CASE WHEN payment_status <> 'succeeded' THEN payment_status"
            " WHEN amount_refunded_minor > 0 AND amount_refunded_minor >= amount_minor"
            " THEN 'refunded'"
            " WHEN amount_refunded_minor > 0 THEN 'partially_refunded'"
            " ELSE 'succeeded' END",
            persisted=True,
        ),
    )
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint("(project_id IS NULL) = (user_id IS NULL)", name="owner_whole"),
        CheckConstraint(
            "payment_status IN ('pending', 'failed', 'succeeded')", name="payment_status_known"
        ),
        Index("ix_purchases_owner", "project_id", "user_id"),
        Index("ix_purchases_effective_owner", "owner_project_id", "owner_user_id"),
        Index(
            "ix_purchases_named_user",
            "named_user_id",
            postgresql_where=text("named_user_id IS NOT NULL"),
        ),
        # The purchase revenue by index-only scans: the predicate is the statement's own
        # (shared/db/definitions.py IS_PURCHASE_SQL, paid), so that PostgreSQL can prove it
        Index(
            "ix_purchases_paid_revenue",
            "owner_project_id",
            "currency",
            postgresql_include=["amount_minor", "amount_refunded_minor"],
            postgresql_where=text(
                "(names_user OR checkout_session_id IS NOT NULL) AND invoice_id IS NULL"
                f" AND status IN {sql_list(PAID_PURCHASE_STATUSES)}"
            ),
        ),
    )


class ProductEntitlement(Base):
    __tablename__ = "product_entitlements"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(Text, primary_key=True)
    entitlement_key: Mapped[str] = mapped_column(Text, primary_key=True)


class Entitlement(Base):
    """Derived: recomputed from a user's subscriptions and purchases after every change."""

    __tablename__ = "entitlements"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    entitlement_key: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_id: Mapped[str] = mapped_column(Text, nullable=False)
    product_id: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EntitlementVersion(Base):
    """Bumped with every recompute; the cache keeps only the newest version it was given."""

    __tablename__ = "entitlement_versions"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ReconciliationRun(Base):
    """One reconciliation against the Stripe API and its summary (CONTRACT section 7).

    `scheduled_for` is set only for the daily run: its uniqueness makes it once per day however
    many schedulers race for it.
    """

    __tablename__ = "reconciliation_runs"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(Text, nullable=False)
    days_back: Mapped[int] = mapped_column(Integer, nullable=False)
    scheduled_for: Mapped[date | None] = mapped_column(Date, unique=True)
    subscriptions_checked: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    purchases_checked: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    events_replayed: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    drift_detected: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    corrected: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    errors: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('running', 'finished', 'failed')", name="status_known"),
    )


class Import(Base):
    """One import of a whole Stripe account (CONTRACT section 8): where it stands, so that a
    stopped import resumes after the last page it finished, and its summary."""

    __tablename__ = "imports"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(Text, nullable=False)
    stage: Mapped[str] = mapped_column(Text, nullable=False)
    cursor: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    customers: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    checkout_sessions: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=text("0")
    )
    subscriptions: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    purchases: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    owners_linked: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    unowned: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    errors: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = _now()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('running', 'finished', 'failed')", name="status_known"),
    )


class WebhookEndpoint(Base):
    """Where a project's app hears about its users' access (CONTRACT section 9). The secret signs
    messages, so it is kept as given (it is not a password); it is never logged."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxMessage(Base):
    """A message to the app, written in the transaction of the change it tells about."""

    __tablename__ = "outbox_messages"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), nullable=False)
    type: Mapped[str] = mapped_column(Text, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = _now()


class WebhookDelivery(Base):
    """One message to one endpoint: pending until a 2xx, failed when the schedule runs out."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_messages.id"), nullable=False, index=True
    )
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"), nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
        Index("ix_webhook_deliveries_endpoint_status", "endpoint_id", "status", "created_at"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class DeliveryAttempt(Base):
    """Every try of a delivery, kept: what the receiver answered, how long it took."""

    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id"), nullable=False, index=True
    )
    attempted_at: Mapped[datetime] = _now()
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
