"""The quota ledger: reserve, commit and refund processes and credits, atomically in the shop DB.

Every reservation runs in its own short transaction that locks the tenant's row first, so
concurrent workers on Postgres queue per tenant instead of overspending; on SQLite the write lock
taken at BEGIN does the same. Commits run inside the caller's transaction, next to the rows they
pay for, and lock the tenant's row first too (one lock order, no deadlocks).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Insert, Table, func, insert, literal, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from quotas.credits import CreditCount
from quotas.errors import LeaseExpired, QuotaExceeded
from quotas.periods import BillingPeriod, period_for
from quotas.thresholds import ThresholdCrossed, crossed
from records.plans import monthly_allowance
from shop.models import (
    AdminUser,
    Alert,
    Contact,
    Customer,
    Plan,
    ProductVariant,
    Reservation,
    SalesRep,
    Tenant,
    UsageEvent,
    UsagePeriod,
    now_utc,
)

Kind = Literal["processes", "credits", "orders"]
tenants_t = cast(Table, Tenant.__table__)
periods_t = cast(Table, UsagePeriod.__table__)
reservations_t = cast(Table, Reservation.__table__)
events_t = cast(Table, UsageEvent.__table__)
alerts_t = cast(Table, Alert.__table__)


@dataclass(frozen=True)
class Grant:
    """The answer to a reservation: how much of the request may be spent."""

    tenant_id: int
    tenant: str
    kind: Kind
    requested: int
    granted: int
    used: int  # level after this grant (used + reserved)
    limit: int
    idempotency_key: str = ""
    reservation_id: int | None = None
    already_applied: bool = False

    @property
    def refused(self) -> int:
        return self.requested - self.granted


@dataclass(frozen=True)
class Usage:
    """A tenant's figures for the current period."""

    tenant: str
    status: str
    plan: str
    period: BillingPeriod
    credits_used: int
    credits_reserved: int
    credits_max: int
    processes_used: int
    processes_reserved: int
    processes_allowance: int
    policy: str
    metric: str = "credits"  # what the plan is sized in: credits, or orders per month
    orders_used: int = 0
    orders_reserved: int = 0
    orders_max: int | None = None  # orders per month on an order-volume plan

    @property
    def meters_orders(self) -> bool:
        return self.metric == "orders"

    @property
    def processes_left(self) -> int:
        return max(self.processes_allowance - self.processes_used - self.processes_reserved, 0)

    def running_short(self, share: float) -> bool:
        """Less than ``share`` of the period's process allowance is left."""
        return self.processes_left < self.processes_allowance * share


class Ledger:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        lease_seconds: int = 900,
        clock: Callable[[], dt.datetime] = now_utc,
        *,
        under_slot: bool = False,
    ) -> None:
        """``under_slot``: the reservations are made by a run holding the tenant's slot (an import
        or a reconcile), so the tenant's next such run may give them back (``return_abandoned``)."""
        self._sessions = sessions
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._clock = clock
        self._under_slot = under_slot

    @contextmanager
    def _transaction(self, keep: bool = True) -> Iterator[Session]:
        """One transaction, committed when the block ends; with ``keep=False`` rolled back instead,
        so a dry run runs the same statements (a period opened, a hold lifted) and writes nothing."""
        with self._sessions() as session, session.begin() as transaction:
            yield session
            if not keep:
                transaction.rollback()

    # -- reading -----------------------------------------------------------------------------

    def usage(self, tenant_id: int, *, dry_run: bool = False) -> Usage:
        """The tenant's figures for the current period, which is opened on first use (``dry_run``:
        read in a transaction that is rolled back, so not even the period is written)."""
        with self._transaction(keep=not dry_run) as session:
            return self._usage_in(session, tenant_id)

    def preview(self, tenant_id: int) -> Usage:
        """The figures a run's guard starts from: stale leases returned and credits recounted, as
        ``held()``, ``recount_credits()`` and the first booking do, in one transaction that is
        rolled back. What a dry run meters against (``quotas.budget.Budget``); nothing is written."""
        with self._transaction(keep=False) as session:
            self._lock_tenant(session, tenant_id)
            self._expire(session, tenant_id, self._clock())
            self._abandon(session, tenant_id)  # a dry run holds the tenant's slot too
            self.recount_in(session, tenant_id)
            return self._usage_in(session, tenant_id)

    def _usage_in(self, session: Session, tenant_id: int) -> Usage:
        tenant = self._lock_tenant(session, tenant_id)
        period = self._current_period(session, tenant)
        return Usage(
            tenant=tenant.slug,
            status=tenant.status,
            plan=tenant.plan_name,
            period=BillingPeriod(period.period, period.starts_at, period.ends_at),
            credits_used=tenant.credits_used,
            credits_reserved=tenant.credits_reserved,
            credits_max=tenant.credits_max,
            processes_used=period.processes_used,
            processes_reserved=period.processes_reserved,
            processes_allowance=period.processes_allowance,
            policy=period.policy,
            metric=tenant.metric,
            orders_used=period.orders_used,
            orders_reserved=period.orders_reserved,
            orders_max=tenant.max_orders,
        )

    def open_period(self, tenant_id: int) -> tuple[BillingPeriod, bool]:
        """Make sure the tenant's current billing period exists; True when this call opened it."""
        with self._sessions() as session, session.begin():
            tenant = self._lock_tenant(session, tenant_id)
            key = period_for(self._clock(), tenant.timezone).key
            existing = select(periods_t.c.id).where(periods_t.c.tenant_id == tenant_id, periods_t.c.period == key)
            opened = session.execute(existing).first() is None
            period = self._current_period(session, tenant)
            return BillingPeriod(period.period, period.starts_at, period.ends_at), opened

    # -- reserve / commit / refund -----------------------------------------------------------

    def reserve(self, tenant_id: int, kind: Kind, requested: int, idempotency_key: str) -> Grant:
        """Hold up to ``requested`` units (see ``Booking.reserve``), in a transaction of its own."""
        with self.booking(tenant_id) as book:
            return book.reserve(kind, requested, idempotency_key)

    @contextmanager
    def booking(self, tenant_id: int) -> Iterator[Booking]:
        """One short transaction holding the tenant's lock, for the reservations of one batch: its
        credits and its processes are granted together, in one round of the lock."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # No flush to disk at this commit: a reservation only matters once the rows it
                # pays for commit, and that later commit flushes the log up to and past it.
                session.execute(text("SET LOCAL synchronous_commit = off"))
            yield Booking(self, session, tenant_id, now)

    def commit(
        self,
        session: Session,
        spent: Sequence[tuple[Grant, int]],
        *,
        entity: str,
        flow_run_id: str | None = None,
    ) -> list[ThresholdCrossed]:
        """Record what each grant actually paid for, inside the caller's transaction (the one
        that wrote the rows). Raises LeaseExpired if a reservation was already returned."""
        for grant, _ in spent:
            if grant.reservation_id is None and grant.refused and not grant.already_applied:
                self._lock_tenant(session, grant.tenant_id)
                self._hold(session, grant)
        live = [(grant, used) for grant, used in spent if grant.reservation_id is not None]
        if not live:
            return []
        # Each kind lives in its own column, so the levels read once below stay true for all.
        if len({grant.kind for grant, _ in live}) != len(live):
            raise ValueError("one grant per kind in a commit")
        tenant = self._lock_tenant(session, live[0][0].tenant_id)
        period = self._current_period(session, tenant)
        crossings: list[ThresholdCrossed] = []
        for grant, used in live:
            if not 0 <= used <= grant.granted:
                raise ValueError(f"{used} {grant.kind} used but {grant.granted} granted")
            closed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(reservations_t)
                .where(reservations_t.c.id == grant.reservation_id, reservations_t.c.state == "open")
                .values(state="committed")
            )
            if closed.rowcount != 1:
                raise LeaseExpired(f"reservation {grant.reservation_id} of {tenant.slug} is no longer open")
            recorded = session.execute(
                _insert_new(session, events_t)
                .values(
                    tenant_id=grant.tenant_id,
                    period_id=period.id,
                    kind=grant.kind,
                    entity=entity,
                    amount=used,
                    idempotency_key=grant.idempotency_key,
                    flow_run_id=flow_run_id,
                    created_at=self._clock(),
                )
                .returning(events_t.c.id)
            ).first()
            if recorded is None:
                raise LeaseExpired(f"usage for {grant.idempotency_key} already recorded")
            before, limit = self._level_used(tenant, period, grant.kind)
            self._add(session, grant.tenant_id, period.id, grant.kind, reserved=-grant.granted, used=used)
            if grant.refused:  # the batch stored what fitted; the rest waits for an upgrade
                self._hold(session, grant)
            crossings += self._record_crossings(session, tenant, period, grant.kind, before, before + used, limit)
        return crossings

    def refund(self, grant: Grant) -> bool:
        """Return a reservation that was not committed; a no-op once committed or expired."""
        if grant.reservation_id is None:
            return False
        with self._sessions() as session, session.begin():
            self._lock_tenant(session, grant.tenant_id)
            return self._close(session, grant.reservation_id, "refunded")

    def expire_leases(self, tenant_id: int) -> int:
        with self._sessions() as session, session.begin():
            self._lock_tenant(session, tenant_id)
            return self._expire(session, tenant_id, self._clock())

    def return_abandoned(self, tenant_id: int) -> dict[str, int]:
        """Give back the reservations made under the tenant's slot that are still open, and return
        how much of each kind came back. Only for a run that has just taken that slot, alone: the
        runs that made them no longer hold it, so they were killed mid-batch, and waiting for their
        lease would keep the tenant short of budget it has (at its ceiling, held) for no reason."""
        with self._sessions() as session, session.begin():
            self._lock_tenant(session, tenant_id)
            return self._abandon(session, tenant_id)

    # -- credits and status ------------------------------------------------------------------

    def recount_credits(self, tenant_id: int) -> CreditCount:
        """Count the credited records and make the ledger's level agree with the count."""
        with self._sessions() as session, session.begin():
            return self.recount_in(session, tenant_id)

    def recount_in(self, session: Session, tenant_id: int) -> CreditCount:
        """The same, inside the caller's transaction: after deletes, which free credits (cascades
        included: a deleted customer takes its contacts along)."""
        self._lock_tenant(session, tenant_id)
        count = count_credits(session, tenant_id)
        session.execute(update(tenants_t).where(tenants_t.c.id == tenant_id).values(credits_used=count.total))
        return count

    def refresh_status(self, tenant_id: int, *, dry_run: bool = False) -> str:
        """Lift a hold whose cause is gone (plan upgraded, period rolled over, the reservations of
        a run that died returned when their lease ran out) and return the tenant's status. A
        tenant still held stays held: it is refused at once, at no cost. ``dry_run``: the same
        decision, in a transaction that is rolled back."""
        with self._transaction(keep=not dry_run) as session:
            tenant = self._lock_tenant(session, tenant_id)
            if self._expire(session, tenant_id, self._clock()):  # the levels moved: read them again
                tenant = self._lock_tenant(session, tenant_id)
            period = self._current_period(session, tenant)
            status = tenant.status
            credits_level, credits_max = self._level(tenant, period, "credits")
            processes_level, allowance = self._level(tenant, period, "processes")
            if status == "over_credit_limit" and (tenant.metric != "credits" or credits_level < credits_max):
                status = "active"
            if status == "process_budget" and (period.policy != "pause" or processes_level < allowance):
                status = "active"
            if status != tenant.status:
                self._set_status(session, tenant_id, status)
            return status

    def held(self, tenant_id: int, *, dry_run: bool = False) -> QuotaExceeded | None:
        """The reason the tenant may launch no process now, or None (``dry_run``: writing nothing)."""
        status = self.refresh_status(tenant_id, dry_run=dry_run)
        if status not in ("over_credit_limit", "process_budget"):
            return None
        usage = self.usage(tenant_id, dry_run=dry_run)
        if status == "over_credit_limit":
            return QuotaExceeded(usage.tenant, "credits", usage.credits_used, usage.credits_max)
        return QuotaExceeded(usage.tenant, "processes", usage.processes_used, usage.processes_allowance)

    def apply_plan(self, session: Session, tenant_id: int) -> None:
        """Bring the current period in line with the tenant's (new) plan, inside the caller's
        transaction; the processes already used this period stay counted."""
        tenant = self._lock_tenant(session, tenant_id)
        period = self._current_period(session, tenant)
        session.execute(
            update(periods_t)
            .where(periods_t.c.id == period.id)
            .values(
                credits_max=tenant.credits_max,
                processes_allowance=monthly_allowance(tenant.credits_max),
                policy=tenant.policy,
            )
        )

    # -- internals ---------------------------------------------------------------------------

    def _lock_tenant(self, session: Session, tenant_id: int) -> _TenantRow:
        row = session.execute(
            select(
                tenants_t.c.id,
                tenants_t.c.slug,
                tenants_t.c.status,
                tenants_t.c.timezone,
                tenants_t.c.credits_used,
                tenants_t.c.credits_reserved,
                Plan.name,
                Plan.max_credits,
                Plan.allowance_policy,
                Plan.metric,
                Plan.max_orders,
            )
            .join(Plan, Plan.id == tenants_t.c.plan_id)
            .where(tenants_t.c.id == tenant_id)
            # FOR NO KEY UPDATE: every row a batch inserts holds a key-share lock on its tenant's
            # row (the foreign key) until the batch commits; FOR UPDATE would wait for those, and
            # two imports of one tenant, each waiting for the other's rows, would deadlock.
            .with_for_update(of=tenants_t, key_share=True)
        ).one()
        return _TenantRow(*row)

    def _current_period(self, session: Session, tenant: _TenantRow) -> _PeriodRow:
        bounds = period_for(self._clock(), tenant.timezone)
        query = select(
            periods_t.c.id,
            periods_t.c.period,
            periods_t.c.starts_at,
            periods_t.c.ends_at,
            periods_t.c.processes_used,
            periods_t.c.processes_reserved,
            periods_t.c.processes_allowance,
            periods_t.c.policy,
            periods_t.c.orders_used,
            periods_t.c.orders_reserved,
        ).where(periods_t.c.tenant_id == tenant.id, periods_t.c.period == bounds.key)
        row = session.execute(query).one_or_none()
        if row is None:
            session.execute(
                insert(periods_t).values(
                    tenant_id=tenant.id,
                    period=bounds.key,
                    starts_at=bounds.starts_at,
                    ends_at=bounds.ends_at,
                    credits_max=tenant.credits_max,
                    processes_allowance=monthly_allowance(tenant.credits_max),
                    processes_used=0,
                    processes_reserved=0,
                    policy=tenant.policy,
                    orders_used=0,
                    orders_reserved=0,
                )
            )
            row = session.execute(query).one()
        return _PeriodRow(**row._mapping)

    @staticmethod
    def _level(tenant: _TenantRow, period: _PeriodRow, kind: Kind) -> tuple[int, int]:
        if kind == "credits":
            return tenant.credits_used + tenant.credits_reserved, tenant.credits_max
        if kind == "orders":
            return period.orders_used + period.orders_reserved, tenant.max_orders or 0
        return period.processes_used + period.processes_reserved, period.processes_allowance

    @staticmethod
    def _level_used(tenant: _TenantRow, period: _PeriodRow, kind: Kind) -> tuple[int, int]:
        if kind == "credits":
            return tenant.credits_used, tenant.credits_max
        if kind == "orders":
            return period.orders_used, tenant.max_orders or 0
        return period.processes_used, period.processes_allowance

    @staticmethod
    def _add(session: Session, tenant_id: int, period_id: int, kind: str, **deltas: int) -> None:
        """Add each delta to its column (``reserved=…``, ``used=…``) in one UPDATE: credits are a
        level kept on the tenant, processes and orders a flow kept on the billing period."""
        table, row_id = (tenants_t, tenant_id) if kind == "credits" else (periods_t, period_id)
        columns = {f"{kind}_{column}": delta for column, delta in deltas.items()}
        session.execute(
            update(table).where(table.c.id == row_id).values({c: table.c[c] + d for c, d in columns.items()})
        )

    def _close(self, session: Session, reservation_id: int, state: str) -> bool:
        row = session.execute(
            select(
                reservations_t.c.tenant_id,
                reservations_t.c.period_id,
                reservations_t.c.kind,
                reservations_t.c.amount,
            ).where(reservations_t.c.id == reservation_id, reservations_t.c.state == "open")
        ).one_or_none()
        if row is None:
            return False
        session.execute(update(reservations_t).where(reservations_t.c.id == reservation_id).values(state=state))
        self._add(session, row.tenant_id, row.period_id, row.kind, reserved=-row.amount)
        return True

    def _expire(self, session: Session, tenant_id: int, now: dt.datetime) -> int:
        stale = session.scalars(
            select(reservations_t.c.id).where(
                reservations_t.c.tenant_id == tenant_id,
                reservations_t.c.state == "open",
                reservations_t.c.expires_at < now,
            )
        ).all()
        return sum(self._close(session, reservation_id, "expired") for reservation_id in stale)

    def _abandon(self, session: Session, tenant_id: int) -> dict[str, int]:
        left = session.execute(
            select(reservations_t.c.id, reservations_t.c.kind, reservations_t.c.amount).where(
                reservations_t.c.tenant_id == tenant_id,
                reservations_t.c.state == "open",
                reservations_t.c.under_slot.is_(True),
            )
        ).all()
        returned: Counter[str] = Counter()
        for row in left:
            if self._close(session, row.id, "abandoned"):
                returned[row.kind] += row.amount
        return dict(returned)

    @staticmethod
    def _earlier(session: Session, tenant_id: int, kind: str, key: str) -> tuple[bool, list[int]]:
        """What an earlier attempt with the same key left, in one query: whether its usage was
        recorded, and the reservations it still holds open (a retried task reuses its key)."""
        recorded = select(literal("recorded"), events_t.c.id).where(
            events_t.c.tenant_id == tenant_id, events_t.c.kind == kind, events_t.c.idempotency_key == key
        )
        held = select(literal("open"), reservations_t.c.id).where(
            reservations_t.c.tenant_id == tenant_id,
            reservations_t.c.kind == kind,
            reservations_t.c.idempotency_key == key,
            reservations_t.c.state == "open",
        )
        rows = session.execute(union_all(recorded, held)).all()
        return any(what == "recorded" for what, _ in rows), [row_id for what, row_id in rows if what == "open"]

    def _hold(self, session: Session, grant: Grant) -> None:
        # Orders beyond an order-volume plan hold only the order export: they wait in the outbox,
        # and every export run meets the cap again through its own reservation, at no cost.
        if grant.kind != "orders":
            self._set_status(session, grant.tenant_id, exhausted_status(grant.kind))

    @staticmethod
    def _set_status(session: Session, tenant_id: int, status: str) -> None:
        session.execute(update(tenants_t).where(tenants_t.c.id == tenant_id).values(status=status))

    def _record_crossings(
        self,
        session: Session,
        tenant: _TenantRow,
        period: _PeriodRow,
        kind: str,
        before: int,
        after: int,
        limit: int,
    ) -> list[ThresholdCrossed]:
        fired = []
        for threshold in crossed(before, after, limit):
            exists = session.execute(
                select(Alert.id).where(
                    Alert.tenant_id == tenant.id,
                    Alert.period == period.period,
                    Alert.kind == kind,
                    Alert.threshold == threshold,
                )
            ).first()
            if exists:
                continue
            session.execute(
                insert(alerts_t).values(
                    tenant_id=tenant.id,
                    period=period.period,
                    kind=kind,
                    threshold=threshold,
                    used=after,
                    limit=limit,
                    created_at=self._clock(),
                )
            )
            fired.append(ThresholdCrossed(tenant.slug, kind, threshold, after, limit, period.period))
        return fired


class Booking:
    """Reservations made inside ``Ledger.booking``'s transaction, the tenant's row locked. The
    levels are read once and then kept up to date here, so a batch's two grants cost three
    statements each besides the first reads."""

    def __init__(self, ledger: Ledger, session: Session, tenant_id: int, now: dt.datetime) -> None:
        self._ledger, self._session, self._tenant_id, self._now = ledger, session, tenant_id, now
        self._read_levels()  # locks the tenant's row first
        if ledger._expire(session, tenant_id, now):  # stale leases returned: the levels moved
            self._read_levels()

    def _read_levels(self) -> None:
        self._tenant = self._ledger._lock_tenant(self._session, self._tenant_id)
        self._period = self._ledger._current_period(self._session, self._tenant)

    def reserve(self, kind: Kind, requested: int, idempotency_key: str) -> Grant:
        """Hold up to ``requested`` units. Credits are capped on plans sized in credits, orders on
        plans sized in orders; processes only under the plan's ``pause`` policy (``notify`` plans
        alert instead). A key already committed is answered ``already_applied``, granting nothing."""
        if requested < 0:
            raise ValueError("cannot reserve a negative amount")
        ledger, session, tenant_id = self._ledger, self._session, self._tenant_id
        applied, still_open = ledger._earlier(session, tenant_id, kind, idempotency_key)
        if applied:
            used, limit = ledger._level(self._tenant, self._period, kind)
            return Grant(
                tenant_id, self._tenant.slug, kind, requested, 0, used, limit, idempotency_key, already_applied=True
            )
        if still_open:
            for reservation_id in still_open:
                ledger._close(session, reservation_id, "refunded")
            self._read_levels()
        tenant, period = self._tenant, self._period
        used, limit = ledger._level(tenant, period, kind)
        granted = grantable(kind, requested, used, limit, metric=tenant.metric, policy=period.policy)
        if granted == 0:
            return Grant(tenant_id, tenant.slug, kind, requested, 0, used, limit, idempotency_key)
        ledger._add(session, tenant_id, period.id, kind, reserved=granted)
        field = f"{kind}_reserved"
        if kind == "credits":
            self._tenant = replace(tenant, credits_reserved=tenant.credits_reserved + granted)
        else:
            self._period = replace(period, **{field: getattr(period, field) + granted})
        reservation_id = session.execute(
            insert(reservations_t)
            .values(
                tenant_id=tenant_id,
                period_id=period.id,
                kind=kind,
                requested=requested,
                amount=granted,
                idempotency_key=idempotency_key,
                state="open",
                under_slot=ledger._under_slot,
                expires_at=self._now + ledger._lease,
                created_at=self._now,
            )
            .returning(reservations_t.c.id)
        ).scalar_one()
        return Grant(
            tenant_id, tenant.slug, kind, requested, granted, used + granted, limit, idempotency_key, reservation_id
        )


def grantable(kind: Kind, requested: int, used: int, limit: int, *, metric: str, policy: str) -> int:
    """How much of ``requested`` a reservation grants at level ``used`` of ``limit``: credits are
    capped on plans sized in credits, orders on plans sized in orders, processes only under the
    ``pause`` policy. The one rule of the ledger's bookings and of a dry run's budget."""
    capped = kind == metric or (kind == "processes" and policy == "pause")
    return min(requested, max(limit - used, 0)) if capped else requested


def _insert_new(session: Session, table: Table) -> Insert:
    """An INSERT that skips a row whose unique key is already there (it then returns no row):
    no savepoint round trips to catch an IntegrityError."""
    insert_for = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert_for(table).on_conflict_do_nothing()


def exhausted_status(kind: str) -> str:
    return "over_credit_limit" if kind == "credits" else "process_budget"


def count_credits(session: Session, tenant_id: int) -> CreditCount:
    """Credits counted from the shop DB, never estimated."""

    def count(model: Any) -> int:
        return session.execute(select(func.count()).select_from(model).where(model.tenant_id == tenant_id)).scalar_one()

    return CreditCount(
        variants=count(ProductVariant),
        customers=count(Customer),
        contacts=count(Contact),
        sales_reps=count(SalesRep),
        admin_users=count(AdminUser),
    )


@dataclass(frozen=True)
class _TenantRow:
    id: int
    slug: str
    status: str
    timezone: str
    credits_used: int
    credits_reserved: int
    plan_name: str
    credits_max: int
    policy: str
    metric: str
    max_orders: int | None


@dataclass(frozen=True)
class _PeriodRow:
    id: int
    period: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    processes_used: int
    processes_reserved: int
    processes_allowance: int
    policy: str
    orders_used: int
    orders_reserved: int
