"""`erp-sync console`: serve the usage console; `erp-sync console token SLUG` gives a tenant its token."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import err, one_line_errors
from console.tokens import issue_token
from services.tenants import get_tenant
from shop.audit import record_change

app = typer.Typer(help="The usage console: a web page and a JSON API per tenant.")


@app.callback(invoke_without_command=True)
@one_line_errors
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
) -> None:
    """Serve the console's page and JSON API (schema at /openapi.json, explorer at /docs: ops token only)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from console.app import create_app

    shop = open_shop()
    err.print(f"usage console on http://{host}:{port}/ (shop DB {shop.safe_url}); Ctrl+C stops it")
    # access_log off: a first visit's address carries ?token=…, which must not reach a log.
    uvicorn.run(create_app(shop.settings), host=host, port=port, access_log=False, log_level="warning")


@app.command("token")
@one_line_errors
def token(slug: str) -> None:
    """Create the tenant's console token, or replace it (the old one stops working). Shown once."""
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        issued = issue_token(session, tenant.id)
        record_change(session, tenant.id, "cli", "token", {"replaced": issued.replaced})
    print(issued.token)
    err.print(f"console token for {slug} (shown once; stored only as a hash). Open /?token=… or send it as Bearer.")
