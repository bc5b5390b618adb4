"""Orchestrate one tenant's run: the enabled imports, independent ones side by side.

Normally the groups run in dependency waves (products, customers, … then stock and documents).
When the process budget runs short they run one by one in the tenant's priority order instead,
so what the shop sells today (stock, open orders) gets the processes that are left; a record
whose parent has not been imported yet waits in quarantine and loads on a later run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture
from prefect.states import Cancelled, State

from app.settings import get_settings
from domain.entities import SYNC_GROUPS, check_enabled, dependency_levels, priority_order
from flows.imports import IMPORT_FLOWS
from flows.tenancy import holds_tenant, run_name
from quotas.ledger import Ledger
from records.states import QUOTA_STATES
from services.tenants import get_tenant
from shop.db import session_factory


@dataclass(frozen=True)
class RunPlan:
    waves: list[list[str]]
    reason: str = ""  # why the plan is not the usual dependency order


@dataclass(frozen=True)
class GroupOutcome:
    results: dict[str, Any] = field(default_factory=dict)
    stop: tuple[str, str] | None = None  # (state name, message) of a quota stop


def entities_to_run(tenant: str, requested: list[str] | None) -> list[str]:
    """The groups to run (those asked for, else the tenant's enabled ones), in dependency order."""
    with session_factory(get_settings().database_url)() as session:
        enabled = list(get_tenant(session, tenant).entities)
    chosen = check_enabled(requested or enabled)
    return [group for group in SYNC_GROUPS if group in chosen]


def plan_run(tenant: str, requested: list[str] | None) -> RunPlan:
    settings = get_settings()
    sessions = session_factory(settings.database_url)
    groups = entities_to_run(tenant, requested)
    with sessions() as session:
        row = get_tenant(session, tenant)
        priorities, tenant_id = list(row.priorities), row.id
    usage = Ledger(sessions).usage(tenant_id)
    if usage.running_short(settings.priority_below):
        order = priority_order(groups, priorities)
        reason = (
            f"{usage.processes_left:,} of {usage.processes_allowance:,} processes left this period: "
            f"running in priority order {', '.join(order)}"
        )
        return RunPlan([[group] for group in order], reason)
    return RunPlan(dependency_levels(groups))


@task(name="import-group", task_run_name="{group}", cache_policy=NONE)
def import_group(tenant: str, group: str, dry_run: bool) -> GroupOutcome:
    """A group's import flow, as a task so that independent groups can be submitted side by side."""
    state = IMPORT_FLOWS[group](tenant=tenant, dry_run=dry_run, return_state=True)
    if state.name in QUOTA_STATES:
        return GroupOutcome(stop=(state.name, state.message or ""))
    return GroupOutcome(results=state.result())  # raises for a failed import, failing this task


def run_wave(tenant: str, wave: list[str], dry_run: bool) -> list[GroupOutcome]:
    # SQLite lets one writer in at a time: side by side would only queue on its lock.
    if len(wave) == 1 or get_settings().database_url.startswith("sqlite"):
        outcomes: list[GroupOutcome] = []
        for group in wave:
            outcomes.append(import_group(tenant, group, dry_run))
            if outcomes[-1].stop is not None:
                break  # the rest would only find the tenant held
        return outcomes
    futures: list[PrefectFuture[GroupOutcome]] = [import_group.submit(tenant, group, dry_run) for group in wave]
    return [future.result() for future in futures]


@flow(name="sync-tenant", flow_run_name=run_name("sync"))
@holds_tenant
def sync_tenant(tenant: str, entities: list[str] | None = None, dry_run: bool = False) -> dict[str, Any] | State:
    """Run the tenant's imports. A quota stop in one of them ends the whole run in that state."""
    plan = plan_run(tenant, entities)
    if plan.reason:
        get_run_logger().warning("%s", plan.reason)
    results: dict[str, Any] = {}
    for wave in plan.waves:
        outcomes = run_wave(tenant, wave, dry_run)
        for outcome in outcomes:
            results.update(outcome.results)
        stop = next((outcome.stop for outcome in outcomes if outcome.stop), None)
        if stop is not None:
            return Cancelled(name=stop[0], message=stop[1])
    return results
