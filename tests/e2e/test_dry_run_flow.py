"""`sync --dry-run` tells the truth: what it predicts, entity by entity, is what the real run on
the same data then writes and costs, and it writes nothing itself. On Postgres, through the
sync-tenant flow, under Prefect's harness.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from sqlalchemy import func, select

from cli.demo_story import (
    ADMINS,
    GROWN_EXPORT,
    write_first_export,
)
from devkit.samples import (
    CUSTOMER_HEADER,
    customer_rows,
    write_customers,
    write_products,
    write_rows,
    write_stock,
)
from domain.groups import SYNC_GROUPS
from domain.staff import add_admin
from flows.sync_tenant import sync_tenant
from quotas import PlanTerms
from quotas.ledger import Ledger, count_credits
from services.tenants import add_tenant, save_plan
from shop.models import (
    AdminUser,
    Alert,
    Base,
    Contact,
    Customer,
    Invoice,
    ProductVariant,
    QuarantinedRecord,
    Reservation,
    StockLevel,
    SyncCursor,
    SyncRun,
    Tenant,
    UsageEvent,
    UsagePeriod,
)
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.webhook_inbox import WebhookInbox

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

Results = dict[str, dict[str, int]]


def demo_tenant(pg_url: str, drop: Path) -> tuple[int, str]:
    """The demo's tenant and its first export (``cli/demo_story.py``): plan starter, every group, two of
    the three admin users added by hand before the first sync."""
    write_first_export(drop)
    return tenant(pg_url, drop, list(SYNC_GROUPS), admins=ADMINS[:2])


def tenant(pg_url: str, drop: Path, groups: list[str], admins: list[str] | tuple[()] = ()) -> tuple[int, str]:
    slug = f"d-{uuid.uuid4().hex[:10]}"
    with unit_of_work(pg_url) as session:
        row = add_tenant(
            session, slug, "starter", erp_kind="csv_files", erp_options={"path": str(drop)}, entities=groups
        )
        for email in admins:
            add_admin(session, row.id, email)
        return row.id, slug


def shop_state(pg_url: str, tenant_id: int) -> dict[str, list[str]]:
    """Every row the tenant owns, in every table but ``sync_runs`` (where a dry run records itself),
    column by column: the tenant's row, its records, quarantine, cursors and the whole ledger."""
    state: dict[str, list[str]] = {}
    with session_factory(pg_url)() as session:
        for table in Base.metadata.sorted_tables:
            owner = table.c.id if table.name == "tenants" else table.c.get("tenant_id")
            if owner is None or table.name == SyncRun.__tablename__:
                continue
            state[table.name] = sorted(
                repr(tuple(row)) for row in session.execute(select(table).where(owner == tenant_id))
            )
    return state


def run_states(pg_url: str, tenant_id: int) -> list[str]:
    with session_factory(pg_url)() as session:
        return list(session.scalars(select(SyncRun.state).where(SyncRun.tenant_id == tenant_id).order_by(SyncRun.id)))


def dry_run(pg_url: str, tenant_id: int, slug: str) -> Results:
    """A dry run, checked to have written nothing but its own ``DryRun`` lines in ``sync_runs``."""
    before, runs_before = shop_state(pg_url, tenant_id), run_states(pg_url, tenant_id)
    state = sync_tenant(tenant=slug, dry_run=True, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    assert shop_state(pg_url, tenant_id) == before
    runs = run_states(pg_url, tenant_id)
    assert runs[: len(runs_before)] == runs_before
    assert set(runs[len(runs_before) :]) == {"DryRun"}
    results: Results = state.result()
    return results


def real_run(slug: str) -> Results:
    state = sync_tenant(tenant=slug, return_state=True)
    assert state.is_completed(), f"{state.name}: {state.message}"
    results: Results = state.result()
    return results


def usage(pg_url: str, tenant_id: int) -> tuple[int, int]:
    figures = Ledger(session_factory(pg_url)).usage(tenant_id)
    return figures.credits_used, figures.processes_used


def total(results: Results, column: str) -> int:
    return sum(counts[column] for counts in results.values())


def written_and_credits(results: Results) -> dict[str, tuple[int, int]]:
    return {entity: (counts["written"], counts["credits"]) for entity, counts in results.items()}


def touch_exports(drop: Path) -> None:
    """The ERP exports the same data again: every file is read anew."""
    for export in drop.glob("*.csv"):
        os.utime(export)


def test_the_demo_export_costs_what_its_dry_run_said(pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = demo_tenant(pg_url, tmp_path)

    predicted = dry_run(pg_url, tenant_id, slug)
    actual = real_run(slug)

    assert predicted == actual  # every entity: fetched, unchanged, written, quarantined, processes, credits
    # What stock and documents cost depends on the variants and customers the same run writes
    # first, and the dry run wrote none of them.
    assert written_and_credits(predicted) == {
        "products": (400, 400),
        "sales_reps": (5, 5),
        "admin_users": (3, 1),  # the two added by hand are updated, not counted twice
        "customers": (150, 150),
        "contacts": (150, 150),
        "stock": (800, 0),
        "invoices": (60, 0),
        "delivery_notes": (40, 0),
        "pending_orders": (15, 0),
    }
    assert (predicted["stock"]["quarantined"], predicted["contacts"]["quarantined"]) == (2, 1)
    assert (total(predicted, "credits"), total(predicted, "processes")) == (706, 1_623)
    assert usage(pg_url, tenant_id) == (2 + 706, 1_623)  # the hand-added admins held 2 credits already

    touch_exports(tmp_path)  # the same data again: unchanged records cost nothing
    again = dry_run(pg_url, tenant_id, slug)

    assert total(again, "fetched") > 1_600
    assert (total(again, "written"), total(again, "credits")) == (0, 0)
    assert total(again, "unchanged") == total(again, "fetched") - total(again, "quarantined")
    assert real_run(slug) == again
    assert usage(pg_url, tenant_id) == (708, 1_623)


def test_a_dry_run_at_the_credit_ceiling_stops_where_the_real_run_stops(pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = demo_tenant(pg_url, tmp_path)
    real_run(slug)  # 708 of the plan's 1,000 credits
    write_products(tmp_path, GROWN_EXPORT)  # 700 more variants: 408 more than the plan holds
    write_stock(tmp_path, GROWN_EXPORT)

    predicted = dry_run(pg_url, tenant_id, slug)

    # The real run stops after the products; the dry run says so and goes no further.
    assert list(predicted) == ["products"]
    assert (predicted["products"]["written"], predicted["products"]["credits"]) == (292, 292)
    with session_factory(pg_url)() as session:
        dry_line = session.scalars(
            select(SyncRun.message).where(SyncRun.tenant_id == tenant_id, SyncRun.state == "DryRun")
        ).one()
    assert "a real run would stop here in CreditCeiling" in dry_line
    assert "408 new records not imported" in dry_line

    state = sync_tenant(tenant=slug, return_state=True)

    assert state.name == "CreditCeiling"
    assert "408 new records not imported" in (state.message or "")
    assert usage(pg_url, tenant_id) == (708 + 292, 1_623 + 292)
    with session_factory(pg_url)() as session:
        stopped = session.execute(
            select(SyncRun.written, SyncRun.credits).where(
                SyncRun.tenant_id == tenant_id, SyncRun.entity == "products", SyncRun.state == "CreditCeiling"
            )
        ).one()
    assert tuple(stopped) == (292, 292)

    held = shop_state(pg_url, tenant_id)
    state = sync_tenant(tenant=slug, dry_run=True, return_state=True)  # held: the real run would launch nothing

    assert state.name == "CreditCeiling"
    assert shop_state(pg_url, tenant_id) == held
    assert run_states(pg_url, tenant_id)[-1] == "DryRun"


def test_contacts_of_missing_customers_are_predicted_quarantined(pg_url: str, tmp_path: Path) -> None:
    write_customers(tmp_path, 200, bad_rows=False)  # 200 contacts, of customers C00001…C00200
    write_rows(tmp_path, "customers.csv", CUSTOMER_HEADER, customer_rows(12))  # only 12 of them exported
    tenant_id, slug = tenant(pg_url, tmp_path, ["customers"])

    predicted = dry_run(pg_url, tenant_id, slug)

    assert (predicted["contacts"]["written"], predicted["contacts"]["credits"]) == (12, 12)
    assert predicted["contacts"]["quarantined"] == 188
    assert real_run(slug) == predicted
    with session_factory(pg_url)() as session:
        waiting = session.scalars(
            select(QuarantinedRecord.reason).where(
                QuarantinedRecord.tenant_id == tenant_id, QuarantinedRecord.resolved_at.is_(None)
            )
        ).all()
        stored = count_credits(session, tenant_id)
    assert len(waiting) == 188
    assert all(reason.endswith("is not in the shop yet") for reason in waiting)
    assert (stored.customers, stored.contacts) == (12, 12)

    # 30 more customers arrive; their contacts wait in quarantine and load at the end of the
    # contacts import, although contacts.csv did not change.
    write_rows(tmp_path, "customers.csv", CUSTOMER_HEADER, customer_rows(42))
    healing = dry_run(pg_url, tenant_id, slug)

    assert written_and_credits(healing) == {"customers": (30, 30), "contacts": (30, 30)}
    assert real_run(slug) == healing
    assert usage(pg_url, tenant_id) == (84, 84)


def test_a_dry_run_writes_nothing(pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = demo_tenant(pg_url, tmp_path)
    models = (ProductVariant, StockLevel, Customer, Contact, Invoice, QuarantinedRecord, SyncCursor)
    ledger_tables = (UsagePeriod, UsageEvent, Reservation, Alert)

    def rows(*of: type[Any]) -> list[int]:
        with session_factory(pg_url)() as session:
            return [
                session.execute(select(func.count()).select_from(m).where(m.tenant_id == tenant_id)).scalar_one()
                for m in of
            ]

    def ledger_levels() -> tuple[int, int, str]:
        with session_factory(pg_url)() as session:
            tenant = session.get_one(Tenant, tenant_id)
            return tenant.credits_used, tenant.credits_reserved, tenant.status

    predicted = dry_run(pg_url, tenant_id, slug)  # compares every row the tenant owns, before and after

    assert (total(predicted, "written"), total(predicted, "credits")) == (1_623, 706)
    assert rows(*models) == [0, 0, 0, 0, 0, 0, 0]
    assert rows(*ledger_tables) == [0, 0, 0, 0]  # not even the billing period is opened
    assert ledger_levels() == (0, 0, "active")  # the two hand-added admins are not even recounted
    assert rows(AdminUser) == [2]


@pytest.fixture
def inbox() -> Iterator[WebhookInbox]:
    with WebhookInbox().running() as running:
        yield running


def test_a_dry_run_warns_no_one(make_tenant: Any, pg_url: str, tmp_path: Path, inbox: WebhookInbox) -> None:
    with unit_of_work(pg_url) as session:
        save_plan(session, PlanTerms("dry-run-alerts", 100))
    tenant_id, slug = make_tenant("dry-run-alerts", path=str(tmp_path))
    block = f"owner-{slug}"
    CustomWebhookNotificationBlock(
        name=block, url=inbox.url, json_data={"subject": "{{subject}}", "text": "{{body}}"}, allow_private_urls=True
    ).save(block)
    invoke(pg_url, f"tenant set {slug} --alert-block custom-webhook/{block}")
    write_products(tmp_path, 90, bad_rows=False)  # 90 of 100 credits: past 80 % and 90 %

    assert dry_run(pg_url, tenant_id, slug)["products"]["credits"] == 90  # no alert recorded, none sent
    assert inbox.received == []

    inbox.status = 500  # the owner's receiver is down: the real run's two alerts wait
    real_run(slug)
    inbox.status = 200
    write_products(tmp_path, 95, bad_rows=False)

    assert dry_run(pg_url, tenant_id, slug)["products"]["credits"] == 5  # the waiting alerts stay unsent
    assert inbox.received == []
    real_run(slug)
    assert [alert["subject"] for alert in inbox.received] == [
        f"erp-sync: {slug} at 80 % of its credits",
        f"erp-sync: {slug} at 90 % of its credits",
    ]
