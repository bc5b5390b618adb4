"""The changes a viewer can make, shared by the JSON API and the page; each one is recorded in
the audit log in the same transaction that makes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from app.root import Root
from console.auth import Viewer
from pipeline.retry_quarantine import RetrySelection, retry_quarantined
from records.errors import InvalidInput, NotFound
from services.tenant_settings import SettingsChange, apply_settings
from services.tenants import get_plan
from shop.audit import record_change
from shop.models import Plan, Tenant

MAX_RETRY_IDS = 500
MAX_RECORD_ID = 2**63 - 1  # quarantine.id is a BIGINT (SQLite's INTEGER has the same range)


def check_record_ids(ids: Iterable[int]) -> None:
    """Refuse ids no quarantined record can have, before they reach the database (where one past
    the column's range is an error, not a miss). Shared with `erp-sync quarantine retry --id`."""
    for record_id in ids:
        if not 1 <= record_id <= MAX_RECORD_ID:
            raise InvalidInput(f"no quarantined record has id {record_id}: record ids run from 1 to {MAX_RECORD_ID}")


def change_settings(console: Root, viewer: Viewer, tenant_id: int, change: SettingsChange) -> dict[str, Any]:
    with console.session() as session:
        tenant = session.get_one(Tenant, tenant_id)
        changed = apply_settings(tenant, change)
        if changed:
            record_change(session, tenant_id, viewer.actor, "settings", changed)
        return changed


def request_plan(console: Root, viewer: Viewer, tenant_id: int, plan_name: str) -> dict[str, Any]:
    """Recorded, not applied: ops move the tenant (`erp-sync tenant set-plan`) once agreed,
    because a plan change may cost (seed 000)."""
    with console.session() as session:
        tenant = session.get_one(Tenant, tenant_id)
        current = session.get_one(Plan, tenant.plan_id)
        try:
            wanted = get_plan(session, plan_name.strip())
        except NotFound as exc:  # a plan name in the request is input to correct, not a missing page
            raise InvalidInput(str(exc)) from None
        if wanted.id == current.id:
            raise InvalidInput(f"tenant '{tenant.slug}' is already on plan '{current.name}'")
        details = {"from": current.name, "to": wanted.name, "state": "requested"}
        record_change(session, tenant_id, viewer.actor, "plan_request", details)
        return details


def retry_quarantined_records(console: Root, viewer: Viewer, tenant: Tenant, ids: list[int]) -> list[dict[str, Any]]:
    """Retry these quarantined records the way `erp-sync quarantine retry --id` does."""
    if not ids:
        raise InvalidInput("say which quarantined records to retry")
    if len(ids) > MAX_RETRY_IDS:
        raise InvalidInput(f"retry at most {MAX_RETRY_IDS} records at a time, got {len(ids)}")
    check_record_ids(ids)
    summaries = retry_quarantined(
        console.sessions,
        tenant.id,
        tenant.slug,
        RetrySelection(tuple(ids)),
        console.settings.lease_seconds,
        page_size=console.settings.batch_size,
        secrets=console.secrets,
    )
    results = [{**asdict(s), "exceeded": str(s.exceeded) if s.exceeded else None} for s in summaries]
    with console.session() as session:
        record_change(session, tenant.id, viewer.actor, "quarantine_retry", {"ids": ids, "results": results})
    return results
