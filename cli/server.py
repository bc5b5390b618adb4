"""`erp-sync server init` and `erp-sync deploy`: set a Prefect server up and deploy the flows to it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import err, fail, one_line_errors, table

app = typer.Typer(help="The Prefect server erp-sync runs on (PREFECT_API_URL).", no_args_is_help=True)


@app.command("init")
@one_line_errors
def init(
    notify_url: Annotated[
        str | None,
        typer.Option(help="Webhook the alert automations post to (kept in a Prefect block; asked once)."),
    ] = None,
) -> None:
    """Create what is missing: the process work pool, a concurrency limit per tenant and ERP endpoint,
    the alert automations. Running it again changes nothing."""
    from deployments.server import init_server

    with open_shop().session() as session:
        steps = init_server(session, notify_url)
    table("Prefect server", ["kind", "name", "result"], [(s.kind, s.name, s.outcome) for s in steps])


@one_line_errors
def deploy(
    name: Annotated[list[str] | None, typer.Option("--name", help="Only this deployment; repeatable.")] = None,
    project: Annotated[Path | None, typer.Option(help="The checkout holding prefect.yaml.")] = None,
) -> None:
    """Deploy the flows in prefect.yaml to the work pool, from this checkout."""
    from deployments.deploy import CHECKOUT, deploy_all
    from deployments.server import api_url

    api_url()
    result = deploy_all(project or CHECKOUT, name)
    if result.returncode != 0:
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        raise fail(f"prefect deploy failed: {lines[-1] if lines else 'no output'}")
    err.print(result.stdout.strip(), highlight=False, markup=False)
