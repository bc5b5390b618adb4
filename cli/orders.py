"""`erp-sync orders`, `erp-sync order add|schema` and `erp-sync export`: shop orders on their way to the ERP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from cli._context import open_shop
from cli._output import err, fail, one_line_errors, print_json, table
from cli.embedded import embedded_runs
from cli.sync import EXIT_HELD, LocalOption, SyncOutcome, on_server, outcome_of
from domain.order_input import InvalidOrder, order_from_json, order_json_schema, problem_list
from records.errors import InvalidInput
from services.outbox import list_orders, place_order, requeue_failed
from services.tenants import get_tenant
from shop.models import Order

app = typer.Typer(help="See the orders waiting for or refused by the ERP, and retry them.", no_args_is_help=True)
order_app = typer.Typer(help="Place orders in a shop.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json")]


def order_json(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "customer_code": order.customer_code,
        "placed_at": order.placed_at.isoformat(),
        "total": str(order.total),
        "currency": order.currency,
        "export_state": order.export_state,
        "export_attempts": order.export_attempts,
        "export_error": order.export_error,
        "erp_ref": order.erp_ref,
    }


def show_orders(slug: str, states: tuple[str, ...], title: str, as_json: bool) -> None:
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        orders = [order_json(order) for order in list_orders(session, tenant.id, states)]
    if as_json:
        print_json({"tenant": slug, "orders": orders})
        return
    if not orders:
        err.print(f"{slug} has no {title} orders")
        return
    columns = [
        "number",
        "customer",
        "total",
        "state",
        "attempts",
        "ERP's reason" if "failed" in states else "last error",
    ]
    rows = [
        [
            o["number"],
            o["customer_code"],
            f"{o['total']} {o['currency']}",
            o["export_state"],
            o["export_attempts"],
            o["export_error"] or "",
        ]
        for o in orders
    ]
    table(f"{slug} · {title} orders", columns, rows)


@app.command("pending")
@one_line_errors
def pending(slug: str, as_json: AsJson = False) -> None:
    """Orders waiting in the outbox for the next export (held at the quota, or not sent yet)."""
    show_orders(slug, ("pending", "sending"), "pending", as_json)


@app.command("failed")
@one_line_errors
def failed(slug: str, as_json: AsJson = False) -> None:
    """Orders the ERP refused, with its reason: fix the order or the ERP's data, then retry them."""
    show_orders(slug, ("failed",), "failed", as_json)


@app.command("retry")
@one_line_errors
def retry(
    slug: str,
    number: Annotated[list[str] | None, typer.Option("--number", help="A failed order's number; repeatable.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every failed order.")] = False,
) -> None:
    """Put failed orders back in the outbox; the next export sends them."""
    if bool(number) == all_:
        raise InvalidInput("give either --number N (repeatable) or --all")
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        requeued = requeue_failed(session, tenant.id, None if all_ else number)
    err.print(f"{len(requeued)} order(s) back in the outbox of {slug}: {', '.join(requeued) or 'none'}")


@order_app.command("add")
@one_line_errors
def add(
    slug: str,
    from_json: Annotated[Path, typer.Option("--from-json", help="A JSON file with one order (or a list of orders).")],
) -> None:
    """Place orders in the shop, as the shop front end does: they wait in the outbox for the export."""
    try:
        document = json.loads(from_json.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {from_json}: {exc.strerror}") from None
    except ValueError as exc:
        raise InvalidInput(f"{from_json} is not JSON: {exc}") from None
    several = isinstance(document, list)
    documents = document if several else [document]
    orders = []
    problems: list[str] = []  # of every order in the file, so that one pass fixes them all
    for index, item in enumerate(documents):
        try:
            orders.append(order_from_json(item))
        except InvalidOrder as exc:
            where = f"order {index + 1}: " if several else ""
            problems.extend(where + problem for problem in exc.problems)
    if problems:
        raise InvalidInput(f"{from_json}: {problem_list(problems)}")
    with open_shop().session() as session:
        tenant = get_tenant(session, slug)
        for order in orders:
            place_order(session, tenant.id, order)
    numbers = [order.number for order in orders]
    err.print(f"{len(orders)} order(s) placed in {slug}: {', '.join(numbers)}")
    if signal_export(slug, numbers):
        err.print(f"the export of {slug} starts on the Prefect server now")


def signal_export(slug: str, numbers: list[str]) -> bool:
    """With a Prefect server, emit the event that starts the tenant's export within seconds
    (the export-orders deployment's trigger); without one, the orders wait for `export`."""
    from prefect.settings import PREFECT_API_URL  # Prefect loads only when orders are placed

    if not PREFECT_API_URL.value():
        return False
    from flows.reporting import emit_orders_placed

    emit_orders_placed(slug, numbers)  # queued: Prefect's events worker sends it before the process exits
    return True


@order_app.command("cancel")
@one_line_errors
def cancel(slug: str, number: str) -> None:
    """Cancel an order: one the ERP has not got is never sent; one it has is cancelled there, where
    its adapter can (one process), or refused with the reason and the ERP's reference."""
    from pipeline.cancel_orders import cancel_order

    root = open_shop()
    with root.session() as session:
        tenant_id = get_tenant(session, slug).id
    cancelled = cancel_order(root.send_target(tenant_id, slug), number, root.adapter(tenant_id))
    err.print(cancelled.done + (f" ({cancelled.processes} process)" if cancelled.processes else ""))


@order_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of an order for `order add --from-json` (stdout: exactly the schema)."""
    print(json.dumps(order_json_schema(), indent=2, ensure_ascii=False))


def run_export(slug: str) -> SyncOutcome:
    """Run the export-orders flow in this process and say how it ended."""
    from flows.export_orders import export_orders

    with embedded_runs():
        return outcome_of(export_orders(tenant=slug, return_state=True))


def show_export(outcome: SyncOutcome) -> None:
    if outcome.results:
        table("Orders to the ERP", list(outcome.results), [list(outcome.results.values())])
    if outcome.held:
        err.print(f"[yellow]{outcome.state}[/yellow]: {outcome.message}", highlight=False)


@one_line_errors
def export(slug: str, local: LocalOption = False) -> None:
    """Send the orders waiting in the outbox to the tenant's ERP, each exactly once. With a Prefect
    server, as a run of the export-orders deployment on a worker, followed here."""
    outcome = on_server("export-orders", slug, {}, local) or run_export(slug)
    show_export(outcome)
    if outcome.state == "Failed":
        raise fail(outcome.message)
    if outcome.held:
        raise typer.Exit(EXIT_HELD)
