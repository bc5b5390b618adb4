"""`erp-sync demo`: the product's story on the embedded default, in one process, in about a minute."""

from __future__ import annotations

from typing import Annotated

import typer

from cli._output import one_line_errors


@one_line_errors
def demo(
    console_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Serve the usage console on this port at the end; 0: do not.")
    ] = 8080,
) -> None:
    """Import a sample ERP export, hit the credit ceiling, upgrade, resume, re-sync for free, and
    open the usage console on the result."""
    from cli.demo_story import tell  # the whole pipeline: loaded when the demo runs, not for --help

    tell(console_port)
