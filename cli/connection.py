"""`erp-sync connection`: a tenant's ERP connection as a TOML file, shown, checked and replaced."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from cli._context import open_shop
from cli._output import err, one_line_errors, out, print_json, table
from erp_adapters.errors import ErpError
from erp_adapters.registry import create_adapter
from records.errors import InvalidInput
from services.connections import (
    DROP_ADAPTER,
    Connection,
    connection_of,
    parse_connection,
    render,
    replace_connection,
)
from services.tenants import get_tenant

if TYPE_CHECKING:
    from services.connection_check import CheckReport

app = typer.Typer(help="A tenant's ERP connection file: show, validate, set and check it.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def read_connection(path: Path) -> Connection:
    """A connection file checked whole, then its exports' headers checked where they can be read
    without a secret (a drop folder): a required field no column feeds, or a column it names
    that the export lacks, is refused by name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc}") from None
    connection = parse_connection(text, path.name)
    if connection.adapter == DROP_ADAPTER:
        from services.connection_check import check_connection  # reads exports: loads pandas

        try:
            report = check_connection(create_adapter(connection.adapter, connection.options), connection.groups(), 1)
        except ErpError as exc:
            err.print(f"[yellow]warning:[/yellow] {escape(str(exc))}; its exports are checked once it can be read")
            return connection
        refused = [problem for check in report.entities if check.blocks_saving() for problem in check.problems()]
        if refused:
            raise InvalidInput(f"{path.name}: {refused[0]}")
    return connection


@app.command("show")
@one_line_errors
def show(slug: str, as_json: JsonOption = False) -> None:
    """The tenant's connection file (TOML), ready to edit and `set` again."""
    with open_shop().session() as session:
        document = connection_of(get_tenant(session, slug))
    if as_json:
        print_json(document)
    else:
        print(render(document, slug), end="")


@app.command("validate")
@one_line_errors
def validate(file: Path, as_json: JsonOption = False) -> None:
    """Check a connection file without saving it anywhere: names, values and, for a drop
    folder, that every required field has a column."""
    connection = read_connection(file)
    if as_json:
        print_json({"valid": True, "adapter": connection.adapter, "sync": connection.groups()})
    else:
        err.print(f"{file.name}: valid ({connection.adapter}; syncs {', '.join(connection.groups())})")


@app.command("set")
@one_line_errors
def set_(slug: str, file: Path, as_json: JsonOption = False) -> None:
    """Replace the tenant's connection with FILE. Every record stays; the entities now read
    differently are read again from the start by the next sync (unchanged records cost nothing)."""
    from deployments.server import create_tenant_limits  # Prefect loads only when needed

    connection = read_connection(file)
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        replaced = replace_connection(session, tenant, connection)
        create_tenant_limits(slug, tenant.erp_options)
    if as_json:
        print_json({"tenant": slug, "changed": sorted(replaced.changed), "read_again": replaced.reread})
    elif not replaced.changed:
        err.print(f"tenant {slug}: connection unchanged")
    else:
        err.print(
            f"tenant {slug}: connection replaced ({', '.join(sorted(replaced.changed))} changed); "
            f"read again from the start: {', '.join(replaced.reread) or 'nothing'}. "
            f"Refused rows load with `erp-sync quarantine retry {slug}`."
        )


@app.command("check")
@one_line_errors
def check(
    slug: str,
    rows: Annotated[int, typer.Option(min=1, max=100, help="Records read per entity.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Read the first rows of every entity the tenant syncs and show them as a sync would map
    them, with every problem found. Writes nothing and costs nothing; exit code 1 on a problem."""
    from services.connection_check import check_connection  # reads exports: loads pandas

    shop = open_shop()
    with shop.session() as session:
        tenant = get_tenant(session, slug)
        tenant_id, groups = tenant.id, list(tenant.entities)
    report = check_connection(shop.adapter(tenant_id), groups, rows)
    if as_json:
        print_json(report.as_json())
    else:
        show_report(report)
    if report.problems():
        raise typer.Exit(code=1)


def show_summary(report: CheckReport) -> None:
    """One line per entity: the files it reads, how, and what the first rows gave."""
    rows = []
    for check in report.entities:
        files = ", ".join(
            f"{f.name} ({f.encoding}, {f.delimiter!r})" if f.delimiter else f"{f.name} ({f.encoding})"
            for f in check.files
        )
        rows.append((check.entity, files or "-", check.read, len(check.refused), "; ".join(check.problems()) or "ok"))
    table("Connection check", ["entity", "files", "read", "refused", "problems"], rows)


def show_report(report: CheckReport) -> None:
    for check in report.entities:
        out.rule(f"{check.entity}: {check.read} read, {len(check.refused)} refused")
        if check.files:
            table(
                "files",
                ["file", "encoding", "delimiter"],
                [(f.name, f.encoding, repr(f.delimiter or "")) for f in check.files],
            )
        mapped = [(name, column, "") for name, column in check.columns.items()]
        mapped += [(name, "", value) for name, value in check.defaults.items() if name not in check.columns]
        if mapped:
            table("fields", ["field", "column", "default"], mapped)
        if check.rows:
            columns = list(check.rows[0])
            table("as they would be stored", columns, [[row[c] for c in columns] for row in check.rows])
    for warning in report.warnings():
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", markup=True, highlight=False)
    for problem in report.problems():
        err.print(f"[red]problem:[/red] {escape(problem)}", markup=True, highlight=False)
    if not report.problems():
        err.print("no problems: the next sync reads these exports as shown")
