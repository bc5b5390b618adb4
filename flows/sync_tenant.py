"""Orchestrate one tenant's run: the enabled imports, in dependency order."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import Cancelled, State

from flows.imports import IMPORT_FLOWS
from shop.db import session_factory
from shop.entities import SYNC_GROUPS, check_enabled
from shop.settings import get_settings
from shop.tenants import get_tenant

QUOTA_STATES = ("CreditCeiling", "ProcessBudget")


def entities_to_run(tenant: str, requested: list[str] | None) -> list[str]:
    with session_factory(get_settings().database_url)() as session:
        enabled = list(get_tenant(session, tenant).entities)
    chosen = check_enabled(requested or enabled)
    return [group for group in SYNC_GROUPS if group in chosen]  # SYNC_GROUPS is in dependency order


@flow(name="sync-tenant", flow_run_name="sync {tenant}")
def sync_tenant(tenant: str, entities: list[str] | None = None, dry_run: bool = False) -> dict[str, Any] | State:
    """Run the tenant's imports. A quota stop in one of them ends the whole run in that state."""
    results: dict[str, Any] = {}
    for group in entities_to_run(tenant, entities):
        state = IMPORT_FLOWS[group](tenant=tenant, dry_run=dry_run, return_state=True)
        if state.name in QUOTA_STATES:
            return Cancelled(name=state.name, message=state.message)
        results.update(state.result())  # raises for a failed import, failing this run too
    return results
