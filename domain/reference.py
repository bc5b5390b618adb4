"""The field reference: every target field of every entity, from the entity specs.

``field_reference`` builds it as plain data: the field's type, whether it is required, its
maximum length, an example and the source columns accepted by default. `erp-sync fields` shows
it as tables, and ``reference_markdown`` renders the same data as docs/fields.md. The source
columns are handed in (the CSV drop adapter's header aliases), so the domain names no adapter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.entities import SPECS, get_spec
from domain.specs import EntitySpec, FieldKind, FieldSpec

# entity -> field -> its source columns, most specific first (erp_adapters/csv_files/mapping.py)
Aliases = Mapping[str, Mapping[str, Sequence[str]]]

REGENERATE = "erp-sync fields --markdown > docs/fields.md"
COLUMNS = ("field", "type", "required", "max length", "example", "source columns")

# Examples as the shop stores them, taken from devkit/samples.py's exports (which write decimals
# with a comma and dates day first, both also understood). A document's line fields are named
# ``lines[].<field>``. tests/unit/test_field_reference.py checks that every field has one and
# that each entity's examples, as one record, pass its checks.
_LINE = {
    "lines[].line_no": "1",
    "lines[].sku": "POL-0001-NEG-S",
    "lines[].description": "Polo piqué negro S",
    "lines[].quantity": "2",
    "lines[].unit_price": "39.00",
}


def _document(number: str, **extra: str) -> dict[str, str]:
    return {
        "number": number,
        "customer_code": "C00001",
        "order_ref": "PW-10001",
        "issued_on": "2026-11-24",
        "total": "94.38",
        **_LINE,
        **extra,
    }


EXAMPLES: dict[str, dict[str, str]] = {
    "products": {
        "sku": "POL-0001-NEG-S",
        "name": "Polo piqué negro S",
        "price": "39.00",
        "template_code": "POL-0001",
        "template_name": "Polo piqué POL-0001",
        "barcode": "8400000010009",
        "color": "Negro",
        "size": "S",
    },
    "stock": {"sku": "POL-0001-NEG-S", "warehouse": "MAD", "quantity": "33"},
    "sales_reps": {"code": "R001", "name": "María García", "email": "comercial1@tienda.es"},
    "admin_users": {"email": "boss@acme.es", "name": "Laura Sánchez"},
    "customers": {
        "code": "C00001",
        "tax_id": "B10000370",
        "name": "Textil Gómez S.L.",
        "email": "pedidos1@cliente1.es",
        "phone": "+34 669 562 620",
        "address": "Calle Ruiz 25",
        "city": "Barcelona",
        "province": "Barcelona",
        "postal_code": "08190",
        "country": "ES",
    },
    "contacts": {
        "code": "K00001",
        "customer_code": "C00001",
        "name": "Lucía López",
        "email": "contacto1@cliente1.es",
        "phone": "+34 997 800 921",
    },
    "invoices": _document("FV26-000001"),
    "delivery_notes": _document("AL26-000001"),
    "pending_orders": _document("PV26-000001", status="Pendiente"),
}


@dataclass(frozen=True)
class FieldReference:
    name: str  # "sku"; a part of each line of a document: "lines[].sku"
    type: FieldKind
    required: bool
    max_length: int | None
    minimum: float | None
    example: str
    sources: tuple[str, ...]  # the source columns accepted by default; () if none are known

    def cells(self) -> tuple[str, ...]:
        """The row of the table, one cell per ``COLUMNS``."""
        kind = self.type if self.minimum is None else f"{self.type} ≥ {self.minimum:g}"
        length = "" if self.max_length is None else str(self.max_length)
        return (self.name, kind, "yes" if self.required else "no", length, self.example, ", ".join(self.sources))

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.name,
            "type": self.type,
            "required": self.required,
            "max_length": self.max_length,
            "minimum": self.minimum,
            "example": self.example,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class EntityReference:
    entity: str
    key: tuple[str, ...]  # the fields that identify a record
    credited: bool  # each new record is one credit
    parent: str | None  # the record it needs first, e.g. "customer" …
    parent_field: str | None  # … named by this field, e.g. "customer_code"
    fields: tuple[FieldReference, ...]

    def summary(self, code: str = "") -> str:
        """What identifies a record, whether it is credited, what it needs first; ``code`` marks
        field names (a backtick in markdown)."""
        key = " + ".join(f"{code}{name}{code}" for name in self.key)
        text = f"identified by {key}; " + ("credited: each record is one credit" if self.credited else "not credited")
        if self.parent:
            text += f"; needs its {self.parent} ({code}{self.parent_field}{code}) first"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "key": list(self.key),
            "credited": self.credited,
            "parent": self.parent,
            "parent_field": self.parent_field,
            "fields": [field.as_json() for field in self.fields],
        }


def _field(spec: FieldSpec, name: str, examples: Mapping[str, str], sources: Sequence[str]) -> FieldReference:
    return FieldReference(
        name=name,
        type=spec.kind,
        required=spec.required,
        max_length=spec.max_length,
        minimum=spec.minimum,
        example=examples.get(name, ""),
        sources=tuple(sources),
    )


def lines_example(spec: FieldSpec, examples: Mapping[str, str]) -> str:
    """A ``lines`` value as a document record carries it: a JSON list of one line, with the
    line's required fields."""
    line = {part.name: examples.get(f"{spec.name}[].{part.name}", "") for part in spec.parts if part.required}
    return json.dumps([line], ensure_ascii=False)


def entity_reference(spec: EntitySpec, aliases: Mapping[str, Sequence[str]] | None = None) -> EntityReference:
    """``spec``'s fields, a document's line fields right after its ``lines``."""
    aliases = aliases or {}
    examples = EXAMPLES.get(spec.name, {})
    fields: list[FieldReference] = []
    for field_spec in spec.fields:
        if field_spec.kind == "lines":
            example = lines_example(field_spec, examples)
            fields.append(_field(field_spec, field_spec.name, {field_spec.name: example}, aliases.get("lines", ())))
            for part in field_spec.parts:
                name = f"{field_spec.name}[].{part.name}"
                fields.append(_field(part, name, examples, aliases.get(part.name, ())))
        else:
            fields.append(_field(field_spec, field_spec.name, examples, aliases.get(field_spec.name, ())))
    parent, parent_field = (spec.parent.label, spec.parent.column) if spec.parent else (None, None)
    return EntityReference(spec.name, spec.key, spec.credited, parent, parent_field, tuple(fields))


def field_reference(entities: Sequence[str] = (), aliases: Aliases | None = None) -> list[EntityReference]:
    """The reference of ``entities`` (all of them if none), in SPECS order; an unknown name is
    refused with the known ones."""
    specs = [get_spec(name) for name in entities] if entities else list(SPECS.values())
    return [entity_reference(spec, (aliases or {}).get(spec.name)) for spec in specs]


def _markdown_cell(column: str, text: str) -> str:
    if not text:
        return ""
    if column == "source columns":
        return ", ".join(f"`{source}`" for source in text.split(", "))
    if column in ("field", "example"):
        return f"`{text}`"
    return text.replace("|", "\\|")


def reference_markdown(entities: Sequence[EntityReference]) -> str:
    """docs/fields.md: a section per entity, each with the table `erp-sync fields` shows."""
    out = [
        "# Field reference",
        "",
        f"Generated from the entity specs by `{REGENERATE}`: do not edit it by hand.",
        "tests/unit/test_field_reference.py fails when the specs, the examples in domain/reference.py",
        "or the default source columns change and this page does not. `erp-sync fields [ENTITY] [--json]`",
        "shows the same tables.",
        "",
        "Every record an ERP hands over is checked field by field; a bad one goes to quarantine with",
        "the reason ([usage](usage.md#what-a-sync-does-with-each-record)).",
        "",
        "- **type:** `text`; `decimal` (`39.00`, and in CSV drops also `39,00` or `1.234,56`; `≥ 0`:",
        "  never negative); `email`; `date` (`2026-11-24`, or `24/11/2026`, `24-11-2026`, `24.11.2026`);",
        "  `lines`: a document's lines, a JSON list of objects with the `lines[].…` fields below it.",
        "- **max length:** in characters; a longer value is refused, never cut.",
        "- **source columns:** the headers a CSV / Excel drop (`csv_files`) may use for the field, matched",
        "  ignoring case, accents and punctuation (`Cód. Artículo` is `cod_articulo`). A tenant's export",
        "  that names a field otherwise is mapped with `--erp-option mapping.<entity>.<field>=<column>`.",
        "  A CSV export has one row per document line: the document's own columns repeat on each line and",
        "  the `lines[].…` fields are columns beside them; the adapter folds them into `lines`. The Odoo",
        "  and Tryton adapters read their own models' fields ([adapters](adapters.md)).",
        "",
        "Entities: " + ", ".join(f"[`{ref.entity}`](#{ref.entity})" for ref in entities) + ".",
    ]
    for ref in entities:
        summary = ref.summary(code="`")
        out += ["", f"## {ref.entity}", "", summary[0].upper() + summary[1:] + ".", ""]
        out.append("| " + " | ".join(COLUMNS) + " |")
        out.append("|" + "---|" * len(COLUMNS))
        for field in ref.fields:
            cells = (_markdown_cell(column, cell) for column, cell in zip(COLUMNS, field.cells(), strict=True))
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
