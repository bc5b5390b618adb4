"""What every run of one tenant does around its work: tag itself for the UI, hold the tenant's slots."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from prefect import get_client, get_run_logger, tags
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType, FlowRunFilterTags
from prefect.client.schemas.objects import StateType
from prefect.runtime import flow_run
from prefect.states import Cancelled, State

from app.root import process_root
from flows.concurrency import SlotWaitExceeded, holds_alone, limits_for, tenant_limit, tenant_slots
from flows.reporting import install_log_filter
from records.states import BUSY_STATE
from services.tenants import get_tenant
from shop.models import Plan

R = TypeVar("R")


@dataclass(frozen=True)
class TenantScope:
    tenant: str
    tenant_id: int
    plan: str
    limits: dict[str, int]

    @property
    def tags(self) -> list[str]:
        return run_tags(self.tenant, self.plan)


SCOPE_TAGS = ("tenant:", "plan:")


def run_tags(tenant: str, plan: str) -> list[str]:
    """Tags ops filter the run list by."""
    return [f"tenant:{tenant}", f"plan:{plan}"]


# What each deployment's runs are called in the run list, by the deployment's flow.
VERBS = {"sync-tenant": "sync", "reconcile-deletes": "reconcile", "export-orders": "export orders of"}


def run_label(verb: str, parameters: dict[str, Any]) -> str:
    """``sync acme · stock, customers``, or ``sync acme`` when the run covers every enabled group."""
    groups = parameters.get("entities")
    return f"{verb} {parameters['tenant']}" + (f" · {', '.join(groups)}" if groups else "")


def run_name(verb: str) -> Callable[[], str]:
    """A ``flow_run_name`` for the run list; the dispatcher gives its runs the same name when it
    creates them, so a queued run is never listed under a random one."""
    return lambda: run_label(verb, flow_run.parameters)


def read_scope(slug: str) -> TenantScope:
    """The tenant's plan and limits; an unknown tenant fails here, before anything is created."""
    with process_root().sessions() as session:
        tenant = get_tenant(session, slug)
        plan = session.get_one(Plan, tenant.plan_id).name
        return TenantScope(slug, tenant.id, plan, limits_for(slug, dict(tenant.erp_options)))


def merged_tags(existing: Iterable[str], scope_tags: list[str]) -> list[str]:
    """The run's tags with its tenant and plan tags replaced by the current ones: a run retried
    after an upgrade moves to its new plan instead of carrying both."""
    return sorted({tag for tag in existing if not tag.startswith(SCOPE_TAGS)} | set(scope_tags))


def tag_this_run(extra: list[str]) -> None:
    """A run started by hand from the UI carries only its deployment's tags: add the tenant's."""
    if flow_run.id is None:
        return
    merged = merged_tags(flow_run.tags, extra)
    with get_client(sync_client=True) as client:
        client.update_flow_run(UUID(flow_run.id), tags=merged)


@contextmanager
def in_tenant_scope(slug: str, *, give_back: bool = True) -> Iterator[TenantScope]:
    """Tag this run and every run and task it starts, then hold the tenant's concurrency slots and
    give back what a killed run of the tenant left reserved (``give_back=False``: a dry run,
    which writes nothing)."""
    install_log_filter()  # an unknown tenant is logged as its one line
    scope = read_scope(slug)
    tag_this_run(scope.tags)
    patience = process_root().settings.slot_wait_seconds

    def waiting(waited: float) -> None:
        get_run_logger().warning(
            "waiting %.0f s for %s (gives up after %s s): %s",
            waited,
            tenant_limit(slug),
            f"{patience:,}",
            slot_holders(slug),
        )

    with tags(*scope.tags), tenant_slots(scope.limits, patience, waiting):
        if give_back:
            give_back_abandoned(scope)
        yield scope


def give_back_abandoned(scope: TenantScope) -> None:
    """Return the reservations a killed run of the tenant left open, now that this run holds the
    tenant's only slot: their run is gone, and their lease (``lease_seconds``) would otherwise
    keep a tenant at its ceiling held for up to 15 minutes."""
    with get_client(sync_client=True) as client:
        if not holds_alone(client, scope.tenant):
            return  # ops let several runs in: another one may still be using them
    returned = process_root().ledger.return_abandoned(scope.tenant_id)
    if returned:
        amounts = " and ".join(f"{amount:,} {kind}" for kind, amount in sorted(returned.items()))
        get_run_logger().warning("gave back %s reserved by a run of %s that was stopped", amounts, scope.tenant)


def slot_holders(slug: str) -> str:
    """Who holds the tenant's slot: its other runs that are Running, by name."""
    running = FlowRunFilter(
        tags=FlowRunFilterTags(all_=[f"tenant:{slug}"]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])),
    )
    with get_client(sync_client=True) as client:
        names = [
            f"'{run.name}'"
            for run in client.read_flow_runs(flow_run_filter=running, limit=5)
            if str(run.id) != flow_run.id
        ]
    return (
        f"held by {', '.join(names)}"
        if names
        else "held by a run that is not Running (its slot returns when its lease ends)"
    )


def holds_tenant(body: Callable[..., R]) -> Callable[..., R | State]:
    """Run a flow whose first parameter is ``tenant`` inside ``in_tenant_scope``. A decorator rather
    than a ``with`` in each flow, so the flows' own bodies stay about their work."""

    signature = inspect.signature(body)

    @functools.wraps(body)  # Prefect reads the parameters through __wrapped__
    def run(tenant: str, *args: Any, **kwargs: Any) -> R | State:
        try:
            dry_run = bool(signature.bind(tenant, *args, **kwargs).arguments.get("dry_run", False))
            with in_tenant_scope(tenant, give_back=not dry_run):
                return body(tenant, *args, **kwargs)
        except SlotWaitExceeded as busy:  # a stop, not a failure: the next dispatch tries again
            return Cancelled(name=BUSY_STATE, message=f"{busy}; {slot_holders(tenant)}")

    return run
