"""`erp-sync fields`: every target field of every entity, with the source columns a CSV / Excel
drop may use for it (docs/fields.md is the same reference, rendered by `fields --markdown`)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cli._output import one_line_errors, print_json, table
from erp_adapters.csv_files.mapping import ALIASES

if TYPE_CHECKING:
    from domain.reference import EntityReference


def reference(entities: list[str]) -> list[EntityReference]:
    """The reference of ``entities`` (all if none), with the CSV drop adapter's header aliases."""
    from domain.reference import field_reference  # built from the specs, which load pandas

    return field_reference(entities, ALIASES)


@one_line_errors
def fields(
    entity: Annotated[str | None, typer.Argument(help="One entity, e.g. products; all of them if left out.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="The page docs/fields.md, as markdown.")] = False,
) -> None:
    """Every field an entity's records have: type, required, max length, an example, source columns."""
    from domain.reference import COLUMNS, reference_markdown

    entities = reference([entity] if entity else [])
    if as_json:
        print_json({"entities": [ref.as_json() for ref in entities]})
    elif markdown:
        sys.stdout.write(reference_markdown(entities))
    else:
        for ref in entities:
            table(f"{ref.entity} · {ref.summary()}", COLUMNS, [field.cells() for field in ref.fields])
