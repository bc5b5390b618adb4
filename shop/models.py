"""The shop database: SQLAlchemy 2 models.

Every tenant-owned table carries ``tenant_id`` and its natural keys are unique per tenant, so two
shops may use the same SKU or customer code without seeing each other. Rows imported from the ERP
carry a ``row_hash`` of their mapped fields: the pipeline compares hashes to write only what changed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}

ROW_HASH = String(32)
Money = Numeric(14, 4)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware UTC datetime: SQLite hands them back naive."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON, list[dict[str, Any]]: JSON}


class Plan(Base):
    """A plan from the catalogue: sized in credits (seed 000) or in orders per month (seed 002)."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    metric: Mapped[str] = mapped_column(String(16), default="credits")  # credits | orders
    max_credits: Mapped[int] = mapped_column(Integer)
    max_orders: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_price_eur: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    allowance_policy: Mapped[str] = mapped_column(String(16), default="notify")  # notify | pause
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class Tenant(Base):
    """One shop. ERP options hold no secret: passwords live in the environment or a Prefect
    Secret block named by ``erp_secret_name``."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    status: Mapped[str] = mapped_column(String(32), default="active")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Madrid")
    erp_kind: Mapped[str] = mapped_column(String(32), default="csv_files")
    erp_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    erp_secret_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    entities: Mapped[list[str]] = mapped_column(default=list)
    # The Prefect notification block that warns the shop owner at 80/90/100 % (None: no warning
    # leaves erp-sync; the console still shows them). A block, so a webhook's token is not stored here.
    alert_block: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Minutes between syncs of each entity group, a hint for the scheduler: {"stock": 15}.
    schedules: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # The groups to sync first when the process budget runs short (empty: the default order).
    priorities: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    # The credit level as the ledger sees it; recounted from the credited tables at each run start.
    credits_used: Mapped[int] = mapped_column(Integer, default=0)
    credits_reserved: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


class TenantOwned:
    """Columns every tenant-owned table shares."""

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=False)


class Synced(TenantOwned):
    """A row imported from the ERP."""

    row_hash: Mapped[str] = mapped_column(ROW_HASH)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, server_default=func.now())


class AdminUser(Synced, Base):
    """A person with access to the shop's back office: added by hand or imported from the ERP's users."""

    __tablename__ = "admin_users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(255), default="")


class SalesRep(Synced, Base):
    __tablename__ = "sales_reps"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)


class ProductTemplate(Synced, Base):
    __tablename__ = "product_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))


class ProductVariant(Synced, Base):
    __tablename__ = "product_variants"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        ForeignKeyConstraint(
            ["tenant_id", "template_code"],
            ["product_templates.tenant_id", "product_templates.code"],
        ),
    )

    sku: Mapped[str] = mapped_column(String(64))
    template_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Money)
    barcode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Customer(Synced, Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    tax_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str | None] = mapped_column(String(255), nullable=True)
    city: Mapped[str | None] = mapped_column(String(128), nullable=True)
    province: Mapped[str | None] = mapped_column(String(64), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)


class Contact(Synced, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        ForeignKeyConstraint(
            ["tenant_id", "customer_code"],
            ["customers.tenant_id", "customers.code"],
            ondelete="CASCADE",
        ),
    )

    code: Mapped[str] = mapped_column(String(64))
    customer_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)


class StockLevel(Synced, Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku", "warehouse"),
        ForeignKeyConstraint(
            ["tenant_id", "sku"],
            ["product_variants.tenant_id", "product_variants.sku"],
            ondelete="CASCADE",
        ),
    )

    sku: Mapped[str] = mapped_column(String(64))
    warehouse: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))


class ErpDocument(Synced):
    """Columns shared by the documents the ERP issues (invoices, delivery notes, pending orders)."""

    number: Mapped[str] = mapped_column(String(64))  # the ERP's reference
    customer_code: Mapped[str] = mapped_column(String(64))
    order_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the order it belongs to
    issued_on: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(default=list)


class Invoice(ErpDocument, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)


class DeliveryNote(ErpDocument, Base):
    __tablename__ = "delivery_notes"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)


class PendingOrder(ErpDocument, Base):
    """An order open in the ERP (taken by phone, by a sales rep, or sent from the shop), shown to
    the customer in the shop until the ERP fulfils it."""

    __tablename__ = "pending_orders"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    status: Mapped[str] = mapped_column(String(32))


class Order(TenantOwned, Base):
    """An order placed in the shop. Its outbox columns say how far its export to the ERP got:
    ``pending`` → ``sending`` (an ERP call is, or was, in flight) → ``sent`` or ``failed``."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_orders_outbox", "tenant_id", "export_state"),
    )

    number: Mapped[str] = mapped_column(String(64))
    customer_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="new")
    placed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    billing_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    payment_method: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shipping_method: Mapped[str | None] = mapped_column(String(64), nullable=True)
    erp_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    row_hash: Mapped[str | None] = mapped_column(ROW_HASH, nullable=True)
    export_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    export_attempts: Mapped[int] = mapped_column(Integer, default=0)
    export_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    exported_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Until when the worker that marked the order ``sending`` owns it; after that another run
    # takes it over and asks the ERP whether the order arrived before sending it again.
    export_lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrderLine(TenantOwned, Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal] = mapped_column(Money)


class SyncCursor(TenantOwned, Base):
    """Where the next run of an entity starts; advanced in the same transaction as the rows."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("tenant_id", "entity"),)

    entity: Mapped[str] = mapped_column(String(32))
    position: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


class QuarantinedRecord(TenantOwned, Base):
    """A record that could not be loaded, kept with its raw payload and the reason."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("tenant_id", "entity", "fingerprint"),)

    entity: Mapped[str] = mapped_column(String(32))
    source_ref: Mapped[str] = mapped_column(String(255))
    raw: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(ROW_HASH)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsagePeriod(TenantOwned, Base):
    """One tenant's billing period: the process budget and what has been used of it."""

    __tablename__ = "usage_periods"
    __table_args__ = (UniqueConstraint("tenant_id", "period"),)

    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the tenant's timezone
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    credits_max: Mapped[int] = mapped_column(Integer)
    processes_allowance: Mapped[int] = mapped_column(BigInteger)
    processes_used: Mapped[int] = mapped_column(BigInteger, default=0)
    processes_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    policy: Mapped[str] = mapped_column(String(16), default="notify")
    # Orders sent to the ERP this period: what plans sized in orders per month meter.
    orders_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    orders_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Reservation(TenantOwned, Base):
    """Budget held for a batch in flight. An open reservation whose lease ran out is returned."""

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_open", "tenant_id", "state", "expires_at"),)

    period_id: Mapped[int] = mapped_column(ForeignKey("usage_periods.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # processes | credits
    requested: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="open")
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Made by a run holding the tenant's slot: when the tenant's next run takes that slot, the
    # run that made it is gone, so the next run gives it back instead of waiting for its lease.
    under_slot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class UsageEvent(TenantOwned, Base):
    """What was actually used, once per idempotency key."""

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "idempotency_key"),
        Index("ix_usage_events_period", "tenant_id", "period_id", "created_at"),
    )

    period_id: Mapped[int] = mapped_column(ForeignKey("usage_periods.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    flow_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class Alert(TenantOwned, Base):
    """A threshold crossed; unique per tenant, period, kind and threshold, so each fires once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("tenant_id", "period", "kind", "threshold"),)

    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(BigInteger)
    limit: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # to the owner


class SyncRun(TenantOwned, Base):
    """The outcome of one entity import, for reports and the usage console."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_tenant", "tenant_id", "started_at"),)

    entity: Mapped[str] = mapped_column(String(32))
    flow_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    state: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    processes: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[int] = mapped_column(Integer, default=0)


CREDITED_MODELS: tuple[type[TenantOwned], ...] = (
    ProductVariant,
    Customer,
    Contact,
    SalesRep,
    AdminUser,
)


class ConsoleToken(TenantOwned, Base):
    """A tenant's token for the usage console, kept only as its SHA-256 digest: the token itself
    is shown once, when it is created."""

    __tablename__ = "console_tokens"
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("digest"))

    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class AuditEntry(TenantOwned, Base):
    """One change to a tenant's configuration: who made it, what it was (before and after)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_tenant", "tenant_id", "created_at"),)

    actor: Mapped[str] = mapped_column(String(16))  # tenant | ops | cli
    action: Mapped[str] = mapped_column(String(32))  # settings | plan_request | quarantine_retry | token
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
