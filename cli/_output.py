"""Output helpers: data on stdout, messages on stderr, one line per known error."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError

from erp_adapters.errors import ErpError
from quotas.errors import QuotaError
from records.errors import ShopError

out = Console()
err = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")

KNOWN_ERRORS = (ShopError, QuotaError, ErpError, ValueError)
EPHEMERAL_API = "ephemeral Prefect API server"  # in Prefect's error when its temporary API does not start


def print_json(payload: Any) -> None:
    # Plain print: rich would wrap long lines and read "[...]" as markup.
    print(json.dumps(payload, default=str, ensure_ascii=False))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [list(row) for row in rows]
    grid = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        numeric = bool(rows) and all(isinstance(row[index], int | float) for row in rows)
        grid.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        grid.add_row(*(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in row))
    out.print(grid)


def fail(message: str) -> typer.Exit:
    # The message quotes user input (an order number, a file's header): never read it as markup.
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=1)


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Known failures become one error on stderr (one line, or one line per problem of a bad order
    file) and exit code 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except KNOWN_ERRORS as exc:
            raise fail(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
            raise fail(f"cannot use the shop database: {reason}") from None
        except httpx.TransportError as exc:
            raise fail(f"cannot reach the Prefect API (PREFECT_API_URL): {exc}") from None
        except RuntimeError as exc:
            if EPHEMERAL_API not in str(exc):
                raise
            raise fail(
                "Prefect's temporary local API did not start in time on this machine: retry, raise "
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or run a server (PREFECT_API_URL)"
            ) from None

    return wrapper
