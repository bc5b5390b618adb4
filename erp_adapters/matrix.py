"""The adapters matrix: which entities each adapter imports, whether it reads deltas and sends
orders, made from what each adapter class declares (``capabilities``), so the tables in the
README and docs/adapters.md cannot drift from the code (``erp-sync adapters --markdown``)."""

from __future__ import annotations

from erp_adapters.base import Capability
from erp_adapters.registry import declared_capabilities
from records.erp import Entity

YES, NO = "✓", "—"
COLUMNS: tuple[tuple[str, Capability], ...] = (
    *((str(entity).replace("_", " "), Capability(str(entity))) for entity in Entity),
    ("deltas", Capability.DELTA),
    ("orders to the ERP", Capability.PUSH_ORDERS),
    ("cancelling them there", Capability.CANCEL_ORDERS),
)


def matrix() -> dict[str, dict[str, bool]]:
    """adapter → capability → whether the adapter declares it."""
    return {
        name: {str(capability): capability in declared for _, capability in COLUMNS}
        for name, declared in declared_capabilities().items()
    }


def matrix_rows() -> tuple[list[str], list[list[str]]]:
    """The matrix as a table with one row per entity or ability and one column per adapter."""
    declared = matrix()
    rows = [[label, *(YES if declared[name][str(can)] else NO for name in declared)] for label, can in COLUMNS]
    return list(declared), rows


def matrix_markdown() -> str:
    names, rows = matrix_rows()
    lines = [_row(["", *(f"`{name}`" for name in names)]), _row(["---"] + [":-:"] * len(names))]
    return "\n".join([*lines, *map(_row, rows)]) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
