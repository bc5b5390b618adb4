"""Which of a tenant's groups a run imports, and in what order.

Normally the groups run in dependency waves (products, customers, … then stock and documents).
When the process budget runs short they run one by one in the tenant's priority order instead,
so what the shop sells today (stock, open orders) gets the processes that are left; a record
whose parent has not been imported yet waits in quarantine and loads on a later run.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from domain.groups import SYNC_GROUPS, check_enabled, dependency_levels, priority_order
from quotas.ledger import Ledger
from services.tenants import get_tenant


@dataclass(frozen=True)
class RunPlan:
    waves: list[list[str]]
    reason: str = ""  # why the plan is not the usual dependency order


def groups_to_run(sessions: sessionmaker[Session], tenant: str, requested: list[str] | None) -> list[str]:
    """The groups to run (those asked for, else the tenant's enabled ones), in dependency order."""
    with sessions() as session:
        enabled = list(get_tenant(session, tenant).entities)
    chosen = check_enabled(requested or enabled)
    return [group for group in SYNC_GROUPS if group in chosen]


def plan_run(
    sessions: sessionmaker[Session],
    tenant: str,
    requested: list[str] | None,
    priority_below: float,
    *,
    dry_run: bool = False,
) -> RunPlan:
    """A dry run gets the plan the real run would (``dry_run``: the usage read writes nothing)."""
    groups = groups_to_run(sessions, tenant, requested)
    with sessions() as session:
        row = get_tenant(session, tenant)
        priorities, tenant_id = list(row.priorities), row.id
    usage = Ledger(sessions).usage(tenant_id, dry_run=dry_run)
    if usage.running_short(priority_below):
        order = priority_order(groups, priorities)
        reason = (
            f"{usage.processes_left:,} of {usage.processes_allowance:,} processes left this period: "
            f"running in priority order {', '.join(order)}"
        )
        return RunPlan([[group] for group in order], reason)
    return RunPlan(dependency_levels(groups))
