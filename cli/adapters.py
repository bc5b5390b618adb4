"""`erp-sync adapters`: the ERP adapters and what each declares it can import and send."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli._output import one_line_errors, print_json, table


@one_line_errors
def adapters(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="The matrix of the README, as markdown.")] = False,
) -> None:
    """Each ERP adapter: the entities it imports, whether it reads deltas, whether it sends orders."""
    from erp_adapters.matrix import matrix, matrix_markdown, matrix_rows

    if as_json:
        print_json({"adapters": matrix()})
    elif markdown:
        sys.stdout.write(matrix_markdown())
    else:
        names, rows = matrix_rows()
        table("ERP adapters", ["", *names], rows)
