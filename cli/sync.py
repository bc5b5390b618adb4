"""`erp-sync sync` and `erp-sync resume`: run a tenant's imports here, on Prefect's local API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli._context import open_shop
from cli._output import err, fail, one_line_errors, print_json, table
from cli.embedded import embedded_runs
from records.states import STOP_STATES
from services.tenants import get_tenant
from shop.models import Plan

EXIT_HELD = 3  # a quota stop is not a failure, but scripts may want to tell it apart
LocalOption = Annotated[
    bool,
    typer.Option("--local", help="Run the flow in this process even when a Prefect server and its deployments exist."),
]


@dataclass
class SyncOutcome:
    state: str  # Completed, Failed, or a quota state: CreditCeiling, ProcessBudget, OrderLimit
    message: str
    results: dict[str, Any] = field(default_factory=dict)  # per entity (sync), or the export's counts

    @property
    def held(self) -> bool:
        return self.state in STOP_STATES


def tenant_plan(slug: str) -> str:
    """The tenant's plan name; an unknown tenant is refused here, before anything runs."""
    with open_shop().session() as session:
        return session.get_one(Plan, get_tenant(session, slug).plan_id).name


def on_server(target: str, slug: str, parameters: dict[str, Any], local: bool) -> SyncOutcome | None:
    """A run of the deployment, followed to its end; None to run the flow here instead."""
    from cli.on_server import run_on_server

    plan = tenant_plan(slug)
    return None if local else run_on_server(target, slug, plan, {"tenant": slug, **parameters})


def run_sync(slug: str, entities: list[str] | None, dry_run: bool, show_progress: bool = True) -> SyncOutcome:
    """Run the sync-tenant flow in this process and say how it ended."""
    from flows.reporting import listening
    from flows.sync_tenant import sync_tenant

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not show_progress,
    ) as bar:
        tasks: dict[str, Any] = {}

        def listen(entity: str, done: int, expected: int | None) -> None:
            if entity not in tasks:
                tasks[entity] = bar.add_task(f"{slug} · {entity}", total=expected)
            bar.update(tasks[entity], completed=done)

        with listening(listen), embedded_runs():
            state = sync_tenant(tenant=slug, entities=entities, dry_run=dry_run, return_state=True)
    return outcome_of(state)


def outcome_of(state: Any) -> SyncOutcome:
    """How a flow run ended, as the commands report it."""
    if state.is_completed():
        return SyncOutcome("Completed", state.message or "", state.result())
    if state.name in STOP_STATES:
        return SyncOutcome(state.name, state.message or "")
    return SyncOutcome("Failed", _failure_line(state))


def _failure_line(state: Any) -> str:
    try:
        state.result()
    except Exception as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return state.message or state.name


def report(outcome: SyncOutcome, dry_run: bool) -> None:
    if outcome.results:
        heading = "Dry run: what the sync would cost" if dry_run else "Sync"
        columns = ["entity", "fetched", "unchanged", "written", "quarantined", "processes", "credits"]
        table(heading, columns, [[entity, *(r[c] for c in columns[1:])] for entity, r in outcome.results.items()])
    if outcome.held:
        err.print(f"[yellow]{outcome.state}[/yellow]: {outcome.message}", highlight=False)


@one_line_errors
def sync(
    slug: str,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="Only these entities; repeatable.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the cost (processes, new credits); write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The outcome and counts as JSON on stdout.")] = False,
    local: LocalOption = False,
) -> None:
    """Sync a tenant now: its enabled imports, from the saved cursors. With a Prefect server, as a
    run of the sync-tenant deployment on a worker, followed here."""
    remote = on_server("sync-tenant", slug, {"entities": entity, "dry_run": dry_run}, local)
    outcome = remote or run_sync(slug, entity, dry_run, show_progress=not as_json)
    if as_json:
        entities = [{"entity": name, **counts} for name, counts in outcome.results.items()]
        print_json({"tenant": slug, "state": outcome.state, "message": outcome.message, "entities": entities})
    else:
        report(outcome, dry_run)
    if outcome.state == "Failed":
        raise fail(outcome.message)
    if outcome.held:
        raise typer.Exit(EXIT_HELD)


@one_line_errors
def resume(slug: str, local: LocalOption = False) -> None:
    """Continue a tenant held at its credit ceiling or process budget, after an upgrade or a new period."""
    shop = open_shop()
    with shop.session() as session:
        tenant_id = get_tenant(session, slug).id
    held = shop.ledger.held(tenant_id)
    if held is not None:
        raise fail(f"{slug} is still held ({held.state_name}: {held}); upgrade with `erp-sync tenant set-plan`")
    outcome = on_server("sync-tenant", slug, {}, local) or run_sync(slug, None, dry_run=False)
    report(outcome, dry_run=False)
    if outcome.state == "Failed":
        raise fail(outcome.message)
    if outcome.held:
        raise typer.Exit(EXIT_HELD)


@one_line_errors
def reconcile(
    slug: str,
    entity: Annotated[list[str] | None, typer.Option("--entity", help="Only these entities; repeatable.")] = None,
    local: LocalOption = False,
) -> None:
    """Delete from the shop what the ERP no longer has (one process each; frees credits)."""
    from prefect.states import State

    from flows.reconcile import reconcile_deletes

    remote = on_server("reconcile-deletes", slug, {"entities": entity}, local)
    if remote is not None:
        if remote.state == "Failed":
            raise fail(remote.message)
        if remote.held:
            err.print(f"[yellow]{remote.state}[/yellow]: {remote.message}", highlight=False)
            raise typer.Exit(EXIT_HELD)
        err.print(f"reconciled on the server: {remote.state} (the run's logs list what was deleted)")
        return
    with embedded_runs():
        state = reconcile_deletes(tenant=slug, entities=entity, return_state=True)
    assert isinstance(state, State)  # return_state=True
    if state.is_completed():
        results = state.result()
        columns = ["entity", "in_erp", "in_shop", "deleted", "credits_freed"]
        table("Reconciled deletes", columns, [[name, *(r[c] for c in columns[1:])] for name, r in results.items()])
        return
    if state.name in STOP_STATES:
        err.print(f"[yellow]{state.name}[/yellow]: {state.message}", highlight=False)
        raise typer.Exit(EXIT_HELD)
    raise fail(_failure_line(state))
