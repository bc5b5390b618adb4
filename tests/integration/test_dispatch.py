"""Which tenants the dispatcher starts: only active, not held tenants whose groups are due (a
tenant at its credit ceiling still reconciles)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from flows.dispatch import due_groups, due_tenants
from services.tenants import add_tenant
from shop.models import Order, SyncRun, Tenant
from tests.db import unit_of_work

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def shop(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database of its own: the dispatcher looks at every tenant there is."""
    monkeypatch.setenv("ERP_SYNC_DATABASE_URL", sqlite_url)
    yield sqlite_url


def tenant(url: str, slug: str, *, entities: list[str], every: dict[str, int] | None = None, **values: object) -> int:
    with unit_of_work(url) as session:
        row = add_tenant(session, slug, "starter", erp_kind="csv_files", erp_options={}, entities=entities)
        row.schedules = every or {}
        session.flush()
        if values:
            session.execute(update(Tenant).where(Tenant.id == row.id).values(**values))
        return row.id


def ran(url: str, tenant_id: int, entity: str, minutes_ago: int, state: str = "Completed") -> None:
    started = NOW - dt.timedelta(minutes=minutes_ago)
    with unit_of_work(url) as session:
        session.add(SyncRun(tenant_id=tenant_id, entity=entity, state=state, started_at=started, ended_at=started))


def test_a_group_is_due_after_its_interval_or_when_it_never_ran() -> None:
    last = {"products": NOW - dt.timedelta(minutes=59), "stock": NOW - dt.timedelta(minutes=15)}
    assert due_groups(["products", "stock", "customers"], {"stock": 15}, last, NOW) == ["stock", "customers"]


def test_only_due_active_unheld_tenants_are_dispatched(shop: str) -> None:
    tenant(shop, "fresh", entities=["products"])  # never ran
    mixed = tenant(shop, "mixed", entities=["products", "stock"], every={"products": 240, "stock": 15})
    ran(shop, mixed, "products", minutes_ago=30)
    ran(shop, mixed, "stock", minutes_ago=20)
    recent = tenant(shop, "recent", entities=["customers"])
    ran(shop, recent, "contacts", minutes_ago=5)  # a group's last run is its latest entity's
    ran(shop, recent, "customers", minutes_ago=90, state="Failed")
    tenant(shop, "held", entities=["products"], status="over_credit_limit", credits_used=1_000)
    tenant(shop, "suspended", entities=["products"], status="suspended")
    tenant(shop, "lifted", entities=["products"], status="over_credit_limit", credits_used=10)
    due = {d.tenant: d.parameters for d in due_tenants("sync-tenant", NOW)}
    assert due == {
        "fresh": {"tenant": "fresh", "entities": ["products"]},
        "mixed": {"tenant": "mixed", "entities": ["stock"]},
        "lifted": {"tenant": "lifted", "entities": ["products"]},  # its plan has room again
    }


def test_exports_go_where_orders_wait_and_reconciles_to_every_active_tenant(shop: str) -> None:
    waiting = tenant(shop, "waiting", entities=["products"])
    sent = tenant(shop, "sent", entities=["products"])
    held = tenant(shop, "held", entities=["products"], status="over_credit_limit", credits_used=1_000)
    tenant(shop, "suspended", entities=["products"], status="suspended")
    with unit_of_work(shop) as session:
        session.add(Order(tenant_id=waiting, number="W-1", customer_code="C1", export_state="pending"))
        session.add(Order(tenant_id=sent, number="S-1", customer_code="C1", export_state="sent"))
        session.add(Order(tenant_id=sent, number="F-1", customer_code="C1", export_state="failed"))
        session.add(Order(tenant_id=held, number="H-1", customer_code="C1", export_state="pending"))
    assert [d.parameters for d in due_tenants("export-orders", NOW)] == [{"tenant": "waiting"}]  # not the held one
    # Deletes free credits: a tenant at its ceiling reconciles, and may so lift its own hold.
    assert sorted(d.tenant for d in due_tenants("reconcile-deletes", NOW)) == ["held", "sent", "waiting"]
