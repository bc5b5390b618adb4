"""The story `erp-sync demo` tells on the embedded default, in one process, in about a minute."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.root import Root
from cli._context import open_shop
from cli._output import err, fail
from cli.connection import show_summary
from cli.orders import run_export, show_export
from cli.quota import show_quota
from cli.sync import SyncOutcome, report, run_sync
from console.tokens import issue_token
from devkit.samples import (
    as_erp_names,
    erp_connection,
    write_admin_users,
    write_customers,
    write_documents,
    write_products,
    write_sales_reps,
    write_stock,
)
from domain.groups import SYNC_GROUPS
from domain.staff import add_admin
from quotas.report import quota_report
from records.errors import NotFound
from records.orders import ShopOrder, ShopOrderLine
from services.connection_check import check_connection
from services.connections import parse_connection
from services.outbox import place_order
from services.tenants import add_tenant, get_plan, get_tenant, remove_tenant
from shop import migrate
from shop.models import Customer, ProductVariant, now_utc

TENANT = "demo"
FIRST_EXPORT, GROWN_EXPORT, CUSTOMERS, SALES_REPS = 400, 1_100, 150, 5
INVOICES, DELIVERY_NOTES, PENDING_ORDERS = 60, 40, 15
ADMINS = ["admin1@tienda-demo.es", "admin2@tienda-demo.es", "contabilidad@tienda-demo.es"]
ORDERS = 3


def step(outcome: SyncOutcome, dry_run: bool = False) -> SyncOutcome:
    report(outcome, dry_run)
    if outcome.state == "Failed":
        raise fail(f"the demo stopped: {outcome.message}")
    return outcome


def exported(outcome: SyncOutcome) -> SyncOutcome:
    show_export(outcome)
    if outcome.state == "Failed":
        raise fail(f"the demo stopped: {outcome.message}")
    return outcome


def write_first_export(drop: Path) -> None:
    """The ERP's first export: every entity, its sample names, a few bad rows."""
    write_products(drop, FIRST_EXPORT)
    write_stock(drop, FIRST_EXPORT)
    write_sales_reps(drop, SALES_REPS)
    write_admin_users(drop, ADMINS)
    write_customers(drop, CUSTOMERS)
    write_documents(drop, INVOICES, DELIVERY_NOTES, PENDING_ORDERS, customers=CUSTOMERS, variants=FIRST_EXPORT)


def take_orders(shop: Root) -> list[str]:
    """What the shop front end does at checkout: orders of imported variants by imported customers."""
    with shop.session() as session:
        tenant_id = get_tenant(session, TENANT).id
        skus = session.scalars(
            select(ProductVariant.sku)
            .where(ProductVariant.tenant_id == tenant_id)
            .order_by(ProductVariant.sku)
            .limit(ORDERS)
        ).all()
        customers = session.scalars(
            select(Customer.code).where(Customer.tenant_id == tenant_id).order_by(Customer.code).limit(ORDERS)
        ).all()
        numbers = []
        for n, (sku, customer) in enumerate(zip(skus, customers, strict=True), start=1):
            order = ShopOrder(f"WEB-{n:04d}", customer, now_utc(), (ShopOrderLine(sku, Decimal(n), Decimal("29.90")),))
            numbers.append(place_order(session, tenant_id, order).number)
    return numbers


def say(step: str) -> None:
    err.print(f"\n[bold cyan]▶ {step}[/bold cyan]", highlight=False)


def show(shop: Root) -> None:
    with shop.session() as session:
        tenant_id = get_tenant(session, TENANT).id
    show_quota(quota_report(shop.sessions, shop.ledger, tenant_id))


def reset_tenant(shop: Root, drop: Path) -> Path:
    """Start from scratch each time, so the demo tells the same story twice in a row. The tenant
    is connected through a connection file, as a new shop would be; returns the file."""
    with shop.session() as session, contextlib.suppress(NotFound):
        remove_tenant(session, TENANT)
    shutil.rmtree(drop)  # the old exports, and the orders/ the ERP picked orders up from
    drop.mkdir()
    connection_file = drop.parent / f"{TENANT}-connection.toml"
    connection_file.write_text(erp_connection(drop, list(SYNC_GROUPS)), encoding="utf-8")
    connection = parse_connection(connection_file.read_text(encoding="utf-8"), connection_file.name)
    with shop.session() as session:
        tenant = add_tenant(
            session,
            TENANT,
            "starter",
            erp_kind=connection.adapter,
            erp_options=connection.options,
            entities=connection.sync or [],
            secret_name=connection.secret,
        )
        for email in ADMINS[:2]:
            add_admin(session, tenant.id, email)
    return connection_file


def checked(shop: Root) -> None:
    """The connection check a new user runs before the first sync: what each entity reads."""
    with shop.session() as session:
        tenant = get_tenant(session, TENANT)
        tenant_id, groups = tenant.id, list(tenant.entities)
    report = check_connection(shop.adapter(tenant_id), groups, rows=3)
    show_summary(report)
    if report.problems():
        raise fail(f"the demo stopped: {report.problems()[0]}")


def console_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def start_console(shop: Root, port: int) -> str | None:
    """The console in the background, outliving the demo, so its URL works when the demo ends.
    One already answering on the port is used as it is. Returns the URL, or None if it did not
    come up (the port is taken by something else, say)."""
    url = f"http://127.0.0.1:{port}"
    if console_answers(url):
        return url
    log = shop.settings.data_dir.resolve() / "console.log"
    with log.open("ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import app; app()", "console", "--port", str(port)],
            stdout=output,
            stderr=output,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # not stopped with the demo's terminal job
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if console_answers(url):
            err.print(
                f"usage console started in the background (pid {server.pid}; log {log}); `kill {server.pid}` stops it"
            )
            return url
        time.sleep(0.2)
    return None


def show_console(shop: Root, port: int) -> None:
    with shop.session() as session:
        token = issue_token(session, get_tenant(session, TENANT).id).token
    url = start_console(shop, port) if port else None
    if url is None:
        url = f"http://127.0.0.1:{port or 8080}"
        err.print(f"start the usage console with `erp-sync console --port {port or 8080}`, then open:")
    say(
        f"The usage console shows {TENANT}'s credits, processes, chart, storage, runs and quarantine. Open this "
        "address; the token in it is shown only once (`erp-sync console token demo` makes a new one):"
    )
    print(f"{url}/tenants/{TENANT}?token={token}")


def tell(console_port: int) -> None:
    """Import a sample ERP export, hit the credit ceiling, upgrade, resume, re-sync for free, and
    open the usage console on the result (``console_port`` 0: no console)."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the story, not the engine's chatter

    shop = open_shop(require_schema=False)
    migrate.upgrade(shop.url)
    drop = shop.settings.data_dir.resolve() / "demo-erp-drop"
    drop.mkdir(parents=True, exist_ok=True)
    connection_file = reset_tenant(shop, drop)
    with shop.session() as session:
        starter = get_plan(session, "starter").max_credits

    say(
        f"The ERP drops its exports in {drop}: {FIRST_EXPORT} product variants with their stock in 2 "
        f"warehouses, {SALES_REPS} sales reps, {len(ADMINS)} admin users, {CUSTOMERS} customers with one contact "
        f"each, {INVOICES} invoices, {DELIVERY_NOTES} delivery notes and {PENDING_ORDERS} pending orders (one row "
        f"per line), and a few bad rows. Tenant '{TENANT}' is on plan starter ({starter:,} credits); two of its "
        "admin users were added by hand."
    )
    write_first_export(drop)
    as_erp_names(drop)
    say(
        f"The ERP names its files in Spanish (ARTICULOS.CSV, clientes.csv, facturas.csv…) and writes 1249,50 for "
        f"a price: the tenant's connection file {connection_file} says so. Its check reads the first rows of "
        "each export as the sync would, writing nothing (`erp-sync connection check demo` shows them all):"
    )
    checked(shop)
    step(run_sync(TENANT, None, dry_run=True), dry_run=True)
    say(
        "Sync: every new variant, sales rep, admin user, customer and contact costs one credit; every record "
        "written, stock levels and documents included, costs one process; bad rows go to quarantine with their "
        "reason. Independent imports run side by side on Postgres; stock and documents wait for their parents."
    )
    step(run_sync(TENANT, None, dry_run=False))
    show(shop)

    say(f"The catalogue grows to {GROWN_EXPORT:,} variants: more than the plan holds.")
    write_products(drop, GROWN_EXPORT)
    write_stock(drop, GROWN_EXPORT)
    as_erp_names(drop)
    outcome = step(run_sync(TENANT, None, dry_run=False))
    err.print(f"The run ended in state [bold]{outcome.state}[/bold]; the shop keeps everything it already had.")
    show(shop)

    say("While held, a sync launches nothing and costs nothing.")
    step(run_sync(TENANT, None, dry_run=False, show_progress=False))

    numbers = take_orders(shop)
    say(
        f"The shop keeps taking orders ({', '.join(numbers)}): each waits in the outbox. Sending one to the ERP "
        "is a process, so while held the export launches nothing."
    )
    exported(run_export(TENANT))

    say("Upgrade to plan basic (2,500 credits) and resume from the saved cursor.")
    with shop.session() as session:
        tenant = get_tenant(session, TENANT)
        tenant.plan_id = get_plan(session, "basic").id
        session.flush()
        shop.ledger.apply_plan(session, tenant.id)
    step(run_sync(TENANT, None, dry_run=False))
    say(f"The export sends the waiting orders, once each, as files the ERP picks up from {drop / 'orders'}.")
    exported(run_export(TENANT))
    err.print(f"In the ERP's folder: {', '.join(sorted(p.name for p in (drop / 'orders').iterdir()))}")
    show(shop)

    say("The ERP re-exports the same catalogue: nothing changed, so nothing is written and it costs 0 processes.")
    for export in drop.iterdir():
        os.utime(export)
    step(run_sync(TENANT, None, dry_run=False))
    show(shop)
    say(
        f"Done. Try: erp-sync quota {TENANT} --json · erp-sync sync {TENANT} --dry-run · "
        f"erp-sync orders pending {TENANT} · "
        f"the Prefect UI shows the runs' artifacts when a server is configured."
    )
    show_console(shop, console_port)
