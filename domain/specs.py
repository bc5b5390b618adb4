"""Entities as data: which fields a record has, which identify it, how they are checked, where
they land and whether they cost credits. The pipeline is one; an entity is a spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

FieldKind = Literal["text", "decimal", "email", "date", "lines"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind = "text"
    required: bool = False
    max_length: int | None = None
    minimum: float | None = None  # for decimals
    # For kind "lines": the fields of each line of a document (a JSON list of objects).
    parts: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class ParentRef:
    column: str  # in this entity, e.g. "customer_code"
    table: Table  # the parent's table
    key: str  # the parent's natural key, e.g. "code"
    label: str  # for the quarantine reason: "customer"


@dataclass(frozen=True)
class EntitySpec:
    name: str
    table: Table
    key: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    credited: bool
    # Columns written to ``table`` besides the fields (derived by ``derive``), all hashed.
    derived: tuple[str, ...] = ()
    derive: Callable[[pd.DataFrame], pd.DataFrame] = field(default=lambda frame: frame)
    # Columns that travel with the batch for ``before_write`` but are not stored in ``table``.
    carried: tuple[str, ...] = ()
    # Checks across fields (e.g. a tax id valid for the row's country): a reason per row, "" if fine.
    check: Callable[[pd.DataFrame], pd.Series] | None = None
    # A record that needs another to exist first (a contact's customer) names it here.
    parent: ParentRef | None = None
    # Rows other tables need before this batch can be written (e.g. product templates).
    before_write: Callable[[Session, int, pd.DataFrame], None] = field(default=lambda session, tenant, rows: None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns a batch writes, in a fixed order (the row hash covers all of them)."""
        stored = [f.name for f in self.fields if f.name in self.table.c]
        return (*stored, *(c for c in self.derived if c not in stored))

    @property
    def hashed(self) -> tuple[str, ...]:
        """Every mapped field and derived column: a change to any of them is a change to the record."""
        names = [f.name for f in self.fields]
        return (*names, *(c for c in self.derived if c not in names))

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)
