"""`erp-sync tenant`: shops, their plan and their ERP connection."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from cli._context import open_shop
from cli._output import err, one_line_errors, print_json, table
from domain.groups import check_enabled
from erp_adapters.registry import known_adapters
from records.errors import InvalidInput
from services.tenant_settings import SettingsChange, apply_settings, effective_priorities
from services.tenants import add_tenant, get_plan, get_tenant, list_tenants, looks_secret, remove_tenant
from shop.audit import record_change
from shop.models import AdminUser, Plan, Tenant

app = typer.Typer(help="Add and manage tenants (shops).", no_args_is_help=True)

DEFAULT_ENTITIES = "products"


def parse_options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--erp-option takes KEY=VALUE, got '{pair}'")
        if looks_secret(key):
            raise InvalidInput(
                f"'{key}' looks like a secret: keep it out of the shop DB and pass --secret-name with the name "
                "of the environment variable or Prefect Secret block that holds it"
            )
        *parents, leaf = key.split(".")  # mapping.products.sku=CodArt → {"mapping": {"products": {"sku": …}}}
        node = options
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return options


def tenant_json(tenant: Tenant, plan: Plan) -> dict[str, Any]:
    return {
        "tenant": tenant.slug,
        "plan": plan.name,
        "status": tenant.status,
        "timezone": tenant.timezone,
        "erp": tenant.erp_kind,
        "erp_options": tenant.erp_options,
        "secret_name": tenant.erp_secret_name,
        "entities": tenant.entities,
        "schedules": tenant.schedules,
        "priorities": effective_priorities(tenant),
        "alert_block": tenant.alert_block,
    }


@app.command("add")
@one_line_errors
def add(
    slug: str,
    plan: Annotated[str, typer.Option(help="Plan name (see `erp-sync plans list`).")],
    erp: Annotated[str, typer.Option(help="ERP adapter.")] = "csv_files",
    erp_option: Annotated[list[str] | None, typer.Option(help="Adapter option KEY=VALUE; repeatable.")] = None,
    secret_name: Annotated[
        str | None, typer.Option(help="Environment variable or Prefect Secret block with the ERP password.")
    ] = None,
    entities: Annotated[
        str | None, typer.Option(help=f"Comma-separated entities to sync [default: {DEFAULT_ENTITIES}].")
    ] = None,
    timezone: Annotated[str, typer.Option(help="Billing periods follow this timezone.")] = "Europe/Madrid",
    connection: Annotated[
        Path | None,
        typer.Option(help="A connection file (TOML, see `erp-sync connection`) instead of --erp and its options."),
    ] = None,
) -> None:
    """Add a shop on a plan, connected to its ERP (and its concurrency limits, when a Prefect server is set)."""
    from deployments.server import create_tenant_limits  # Prefect loads only when needed

    if connection is not None:
        from cli.connection import read_connection  # reads exports: loads pandas

        if erp_option or secret_name or erp != "csv_files":
            raise InvalidInput("--connection holds the adapter, its options and its secret's name: drop --erp*")
        connected = read_connection(connection)
        erp, options, secret_name = connected.adapter, connected.options, connected.secret
        groups = entities.split(",") if entities is not None else connected.groups()
    else:
        if erp not in known_adapters():
            raise InvalidInput(f"unknown ERP adapter '{erp}' (known: {', '.join(known_adapters())})")
        options = parse_options(erp_option or [])
        groups = (entities or DEFAULT_ENTITIES).split(",")
    chosen = check_enabled([e.strip() for e in groups if e.strip()])  # refused now, not at sync
    with open_shop().session() as session:
        tenant = add_tenant(
            session,
            slug,
            plan,
            erp_kind=erp,
            erp_options=options,
            entities=chosen,
            timezone=timezone,
            secret_name=secret_name,
        )
        # Before the commit: a tenant whose limits could not be created is not added either.
        limits = create_tenant_limits(tenant.slug, tenant.erp_options)
        err.print(f"tenant {tenant.slug} added on plan {plan}")
    if limits:
        err.print(f"concurrency limits created: {', '.join(limits)}")


@app.command("list")
@one_line_errors
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """All tenants with their plan and status."""
    with open_shop().session() as session:
        rows = [tenant_json(t, session.get_one(Plan, t.plan_id)) for t in list_tenants(session)]
    if as_json:
        print_json({"tenants": rows})
        return
    table(
        "Tenants",
        ["tenant", "plan", "status", "erp", "entities"],
        [(r["tenant"], r["plan"], r["status"], r["erp"], ",".join(r["entities"])) for r in rows],
    )


@app.command("show")
@one_line_errors
def show(slug: str) -> None:
    """One tenant's settings as JSON (no secret is ever stored or shown)."""
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        print_json(tenant_json(tenant, session.get_one(Plan, tenant.plan_id)))


@app.command("set-plan")
@one_line_errors
def set_plan(slug: str, plan: str) -> None:
    """Move a tenant to another plan; a hold caused by the old plan's limits is lifted."""
    shop = open_shop()
    ledger = shop.ledger
    with shop.session() as session:
        tenant = get_tenant(session, slug)
        tenant.plan_id = get_plan(session, plan).id
        session.flush()
        ledger.apply_plan(session, tenant.id)
        tenant_id = tenant.id
    status = ledger.refresh_status(tenant_id)
    err.print(f"tenant {slug} is on plan {plan}; status {status}")


@app.command("admin-add")
@one_line_errors
def admin_add(slug: str, email: str, name: str = "") -> None:
    """Give a person admin access to the shop (each admin user is one credit)."""
    from domain.staff import add_admin  # with the staff specs, which load pandas

    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        if "@" not in email:
            raise InvalidInput(f"'{email}' is not an e-mail address")
        exists = session.scalars(select(AdminUser.id).where(AdminUser.tenant_id == tenant.id, AdminUser.email == email))
        if exists.first() is not None:
            raise InvalidInput(f"{email} is already an admin of {slug}")
        add_admin(session, tenant.id, email, name)
    err.print(f"{email} is now an admin of {slug}")


@app.command("remove")
@one_line_errors
def remove(slug: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False) -> None:
    """Delete a tenant and all its shop data and usage history."""
    from deployments.server import delete_tenant_limit

    if not yes:
        typer.confirm(f"Delete tenant {slug} and all its data?", abort=True)
    with open_shop().session() as session:
        remove_tenant(session, slug)
        delete_tenant_limit(slug)
    err.print(f"tenant {slug} removed")


@app.command("set")
@one_line_errors
def set_(
    slug: str,
    entities: Annotated[str | None, typer.Option(help="Comma-separated entities to sync, e.g. products,stock.")] = None,
    every: Annotated[
        list[str] | None, typer.Option(help="Minutes between syncs of an entity, ENTITY=MINUTES; repeatable.")
    ] = None,
    priorities: Annotated[
        str | None,
        typer.Option(help="Entities to sync first when the process budget runs short, e.g. stock,pending_orders."),
    ] = None,
    alert_block: Annotated[
        str | None,
        typer.Option(
            help="Prefect notification block TYPE/NAME that warns the shop owner at 80/90/100 %; '' for none."
        ),
    ] = None,
    alert_url: Annotated[
        str | None,
        typer.Option(help="Webhook that warns the shop owner; saved as block custom-webhook/erp-sync-owner-<tenant>."),
    ] = None,
) -> None:
    """Switch a tenant's entities on or off, set how often each is synced, what goes first, and
    how its owner is warned of its quota."""
    from flows.owner_alerts import check_alert_block, owner_webhook_block  # Prefect loads only when needed

    if alert_block is not None and alert_url is not None:
        raise InvalidInput("pass --alert-block or --alert-url, not both")
    change = SettingsChange(
        entities=entities.split(",") if entities is not None else None,
        schedules=dict(parse_every(pair) for pair in every or []),
        priorities=priorities.split(",") if priorities is not None else None,
    )
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        changed = apply_settings(tenant, change)
        block = owner_webhook_block(slug, alert_url) if alert_url else alert_block
        if block is not None and (block or None) != tenant.alert_block:
            changed["alert_block"] = {"from": tenant.alert_block, "to": block or None}
            tenant.alert_block = check_alert_block(block) if block else None
        if changed:
            record_change(session, tenant.id, "cli", "settings", changed)
        err.print(
            f"tenant {slug}: entities {','.join(tenant.entities)}; every {tenant.schedules or 'default'}; "
            f"when the budget runs short: {','.join(effective_priorities(tenant))}; "
            f"owner alerts: {tenant.alert_block or 'none'}"
        )


def parse_every(pair: str) -> tuple[str, int]:
    entity, _, minutes = pair.partition("=")
    if not minutes.isdigit():
        raise InvalidInput(f"--every takes ENTITY=MINUTES with a whole number of minutes, got '{pair}'")
    return entity, int(minutes)
