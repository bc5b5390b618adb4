"""`erp-sync db`: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._context import open_shop
from cli._output import err, one_line_errors, print_json
from shop import migrate

app = typer.Typer(help="Create or migrate the shop database.", no_args_is_help=True)


@app.command("upgrade")
@one_line_errors
def upgrade() -> None:
    """Bring the shop database to the latest schema (creates it on SQLite)."""
    shop = open_shop(require_schema=False)
    migrate.upgrade(shop.url)
    err.print(f"shop database {shop.safe_url} is at revision {migrate.current_revision(shop.url)}")


@app.command("current")
@one_line_errors
def current(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the schema revision of the shop database and the newest one the code knows."""
    shop = open_shop(require_schema=False)
    payload = {
        "database": shop.safe_url,
        "current": migrate.current_revision(shop.url),
        "head": migrate.head_revision(shop.url),
    }
    if as_json:
        print_json(payload)
    else:
        print(f"{payload['database']}: at {payload['current']}, head {payload['head']}")
