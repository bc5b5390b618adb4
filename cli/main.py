"""The `erp-sync` command."""

from __future__ import annotations

import os

# Before Prefect reads its settings: the temporary local API's telemetry job writes to its SQLite
# database while the command's runs do, and prints a "database is locked" traceback when it loses.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Without a server, a command that runs a flow starts Prefect's temporary local API and gives it
# 20 s by default: on a busy 2-core machine that is too short and the command fails. Wait as
# long as a loaded machine needs; a start that still fails is one line (cli/_output.py).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import typer

from cli import (
    adapters,
    connection,
    console,
    credits,
    db,
    demo,
    fields,
    orders,
    plans,
    quarantine,
    quota,
    server,
    sync,
    tenant,
)

app = typer.Typer(
    name="erp-sync",
    help="Keep online shops in sync with their ERPs, metered in credits and processes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(plans.app, name="plans")
app.add_typer(tenant.app, name="tenant")
app.add_typer(connection.app, name="connection")
app.add_typer(credits.app, name="credits")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(orders.app, name="orders")
app.add_typer(orders.order_app, name="order")
app.add_typer(server.app, name="server")
app.add_typer(console.app, name="console")
app.command("quota")(quota.quota)
app.command("sync")(sync.sync)
app.command("resume")(sync.resume)
app.command("demo")(demo.demo)
app.command("reconcile")(sync.reconcile)
app.command("export")(orders.export)
app.command("deploy")(server.deploy)
app.command("fields")(fields.fields)
app.command("adapters")(adapters.adapters)
