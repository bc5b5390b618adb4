"""The JSON API: the page's data and controls, for scripts. Its schema (/openapi.json) and
explorer (/docs) are served to the ops token only (console/app.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from console.actions import MAX_RETRY_IDS, change_settings, request_plan, retry_quarantined_records
from console.auth import tenant_for
from console.deps import ConsoleDep, ViewerDep, ledger_of
from console.overview import ChangeInfo, Overview, SettingsInfo, build_overview, change_info, settings_info
from services.tenant_settings import SettingsChange
from services.tenants import list_tenants
from shop.audit import recent_changes
from shop.models import Plan, Tenant

router = APIRouter(prefix="/api", tags=["api"])


class TenantSummary(BaseModel):
    tenant: str
    plan: str
    status: str


class Me(BaseModel):
    actor: str  # ops | tenant
    tenant: str | None


class SettingsUpdate(BaseModel):
    """Fields left out stay as they are."""

    entities: list[str] | None = Field(default=None, description='The groups to sync, e.g. ["products", "stock"].')
    schedules: dict[str, int | None] | None = Field(
        default=None, description="Minutes between syncs per group; null puts a group back on the default."
    )
    priorities: list[str] | None = Field(default=None, description="What to sync first when processes run short.")


class PlanRequest(BaseModel):
    plan: str = Field(min_length=1, max_length=64, description="The plan wanted; ops apply it once agreed.")


class RetryRequest(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=MAX_RETRY_IDS, description="Quarantined record ids.")


@router.get("/me")
def me(viewer: ViewerDep) -> Me:
    return Me(actor=viewer.actor, tenant=viewer.slug)


@router.get("/tenants")
def tenants(console: ConsoleDep, viewer: ViewerDep) -> list[TenantSummary]:
    """Ops see every tenant; a tenant sees itself."""
    with console.sessions() as session:
        rows = [t for t in list_tenants(session) if viewer.tenant_id in (None, t.id)]
        return [TenantSummary(tenant=t.slug, plan=session.get_one(Plan, t.plan_id).name, status=t.status) for t in rows]


@router.get("/tenants/{slug}")
def overview(slug: str, console: ConsoleDep, viewer: ViewerDep) -> Overview:
    """Credits, processes with the forecast, the daily chart's data, storage, plan, runs,
    quarantine, orders waiting or failed, settings and the latest changes."""
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
    return build_overview(console.sessions, ledger_of(console), tenant_id)


@router.patch("/tenants/{slug}/settings")
def update_settings(slug: str, update: SettingsUpdate, console: ConsoleDep, viewer: ViewerDep) -> SettingsInfo:
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
    change_settings(console, viewer, tenant_id, SettingsChange(**update.model_dump()))
    with console.sessions() as session:
        return settings_info(session.get_one(Tenant, tenant_id))


@router.post("/tenants/{slug}/plan-requests", status_code=status.HTTP_201_CREATED)
def plan_request(slug: str, wanted: PlanRequest, console: ConsoleDep, viewer: ViewerDep) -> dict[str, Any]:
    """Record a request to move to another plan; it is not applied until ops apply it."""
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
    return request_plan(console, viewer, tenant_id, wanted.plan)


@router.post("/tenants/{slug}/quarantine/retry")
def retry(slug: str, wanted: RetryRequest, console: ConsoleDep, viewer: ViewerDep) -> list[dict[str, Any]]:
    """Validate these quarantined records again and load the ones that pass (metered)."""
    with console.sessions() as session:
        tenant = tenant_for(session, viewer, slug)
    return retry_quarantined_records(console, viewer, tenant, wanted.ids)


@router.get("/tenants/{slug}/changes")
def changes(slug: str, console: ConsoleDep, viewer: ViewerDep) -> list[ChangeInfo]:
    """Every recorded change to the tenant, newest first."""
    with console.sessions() as session:
        tenant_id = tenant_for(session, viewer, slug).id
        return [change_info(c) for c in recent_changes(session, tenant_id)]
