"""Orchestrate one tenant's run: the enabled imports, independent ones side by side, in the order
``pipeline.run_plan`` gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture
from prefect.states import Cancelled, State

from app.root import process_root
from flows.heartbeat import beating
from flows.imports import IMPORT_FLOWS, run_group
from flows.reporting import publish_sync_summary
from flows.tenancy import VERBS, holds_tenant, run_name
from pipeline.dry_run import DryRun
from pipeline.run_plan import RunPlan, plan_run
from records.states import QUOTA_STATES


@dataclass(frozen=True)
class GroupOutcome:
    results: dict[str, Any] = field(default_factory=dict)
    stop: tuple[str, str] | None = None  # (state name, message) of a quota stop


@task(name="import-group", task_run_name="{group}", cache_policy=NONE)
def import_group(tenant: str, group: str) -> GroupOutcome:
    """A group's import flow, as a task so that independent groups can be submitted side by side."""
    state = IMPORT_FLOWS[group](tenant=tenant, return_state=True)
    assert isinstance(state, State)  # return_state=True
    if state.name in QUOTA_STATES:
        return GroupOutcome(stop=(state.name, state.message or ""))
    results = state.result()  # raises for a failed import, failing this task
    assert isinstance(results, dict)  # a completed import returns its counts
    return GroupOutcome(results=results)


def run_wave(tenant: str, wave: list[str]) -> list[GroupOutcome]:
    # SQLite lets one writer in at a time: side by side would only queue on its lock.
    if len(wave) == 1 or process_root().url.startswith("sqlite"):
        outcomes: list[GroupOutcome] = []
        for group in wave:
            outcomes.append(import_group(tenant, group))
            if outcomes[-1].stop is not None:
                break  # the rest would only find the tenant held
        return outcomes
    futures: list[PrefectFuture[GroupOutcome]] = [import_group.submit(tenant, group) for group in wave]
    return [future.result() for future in futures]


@flow(name="sync-tenant", flow_run_name=run_name(VERBS["sync-tenant"]))
@beating
@holds_tenant
def sync_tenant(tenant: str, entities: list[str] | None = None, dry_run: bool = False) -> dict[str, Any] | State:
    """Run the tenant's imports. A quota stop in one of them ends the whole run in that state."""
    root = process_root()
    plan = plan_run(root.sessions, tenant, entities, root.settings.priority_below, dry_run=dry_run)
    if plan.reason:
        get_run_logger().warning("%s", plan.reason)
    if dry_run:
        return rehearse(tenant, plan)
    results: dict[str, Any] = {}
    for wave in plan.waves:
        outcomes = run_wave(tenant, wave)
        for outcome in outcomes:
            results.update(outcome.results)
        stop = next((outcome.stop for outcome in outcomes if outcome.stop), None)
        if stop is not None:
            publish_sync_summary(tenant, results, f"{stop[0]}: {stop[1]}")
            return Cancelled(name=stop[0], message=stop[1])
    publish_sync_summary(tenant, results, "completed")
    return results


def rehearse(tenant: str, plan: RunPlan) -> dict[str, Any] | State:
    """The dry run of a sync: the plan's groups one after the other, in this flow run, all with one
    ``DryRun``, so a contact or a stock level finds the parent the same sync would write and
    the quota carries from group to group. It ends where a run of one group at a time would end:
    held (a quota state, nothing launched), or completed with what each entity would write,
    noting the stop the real run would meet."""
    dry_run = DryRun()
    results: dict[str, Any] = {}
    for group in (group for wave in plan.waves for group in wave):
        outcome = run_group(tenant, group, dry_run)
        if isinstance(outcome, State):
            return outcome
        results.update(outcome)
        if dry_run.stop is not None:
            break
    stop = dry_run.stop
    ended = f"dry run; a real run would stop in {stop.state_name}: {stop}" if stop else "dry run"
    publish_sync_summary(tenant, results, ended)
    return results
