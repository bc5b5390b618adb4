"""Set-based writes into the shop DB: no per-row ORM round trips.

Postgres (psycopg 3): binary COPY of the rows into a temporary table, then one ``INSERT … SELECT
… ON CONFLICT DO UPDATE``. SQLite (the embedded default): one executemany of the same upsert;
slower, same result.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    CursorResult,
    Date,
    Integer,
    Table,
    and_,
    any_,
    cast,
    delete,
    exists,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_stage_names = itertools.count()
LOOKUP_CHUNK = 5_000


def _among(session: Session, column: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
    """``column IN values``; on Postgres as ``= ANY(one array parameter)``, because thousands of
    placeholders cost more to render, send and plan than the lookup itself."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(column.type)))
    return column.in_(values)


def existing_hashes(session: Session, table: Table, tenant_id: int, key: str, values: Iterable[str]) -> dict[str, str]:
    """``key value -> row_hash`` of the rows the tenant already has among ``values``."""
    found: dict[str, str] = {}
    pending = list(values)
    for start in range(0, len(pending), LOOKUP_CHUNK):
        chunk = pending[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(table.c[key], table.c.row_hash).where(
                table.c.tenant_id == tenant_id, _among(session, table.c[key], chunk)
            )
        )
        found.update((k, h) for k, h in rows)
    return found


def holds_any(session: Session, table: Table, tenant_id: int) -> bool:
    return session.execute(select(exists().where(table.c.tenant_id == tenant_id))).scalar_one()


@dataclass(frozen=True)
class Comparison:
    """How each row of a batch stands against the shop, aligned with the batch's rows."""

    new: np.ndarray  # the tenant has no record with this key yet
    changed: np.ndarray  # the tenant has one, with another row hash

    @property
    def unchanged(self) -> np.ndarray:
        return ~(self.new | self.changed)


def compare_hashes(
    session: Session, table: Table, tenant_id: int, key: Sequence[str], rows: pd.DataFrame
) -> Comparison:
    """Which of ``rows`` (carrying their ``row_hash``) are new, changed or unchanged for the tenant."""
    if session.get_bind().dialect.name == "postgresql":
        return _compare_in_postgres(session, table, tenant_id, key, rows)
    stored = _stored_values(session, table, tenant_id, key, rows, table.c.row_hash)
    new = stored.isna().to_numpy()
    return Comparison(new, ~new & (stored != rows["row_hash"]).to_numpy())


def _stored_values(
    session: Session, table: Table, tenant_id: int, key: Sequence[str], rows: pd.DataFrame, value: ColumnElement[Any]
) -> pd.Series:
    """The stored ``value`` of each of ``rows`` by its (possibly composite) key; None where the
    tenant has no such record yet."""
    first, found = key[0], dict[tuple[Any, ...], Any]()
    values = rows[first].unique().tolist()
    for start in range(0, len(values), LOOKUP_CHUNK):
        result = session.execute(
            select(*(table.c[k] for k in key), value).where(
                table.c.tenant_id == tenant_id, _among(session, table.c[first], values[start : start + LOOKUP_CHUNK])
            )
        )
        found.update((tuple(row[:-1]), row[-1]) for row in result)
    keys = zip(*(rows[k].tolist() for k in key), strict=True)
    return pd.Series([found.get(k) for k in keys], index=rows.index, dtype=object)


def _compare_in_postgres(
    session: Session, table: Table, tenant_id: int, key: Sequence[str], rows: pd.DataFrame
) -> Comparison:
    """The keys and hashes are copied in and compared inside Postgres; only the positions of the
    rows that are new or differ come back, as two arrays. A re-sync that changed 1 % of a million
    rows so moves 10,000 numbers out of the database, not a million rows."""
    stage = f"_diff_{table.name}_{next(_stage_names)}"
    staged = rows[[*key, "row_hash"]].assign(position=range(len(rows)))
    _copy_text_stage(session, stage, list(staged.columns), staged)
    stage_t = sa_table(stage, *(sa_column(c) for c in staged.columns))
    match = and_(table.c.tenant_id == tenant_id, *(table.c[k] == cast(stage_t.c[k], table.c[k].type) for k in key))
    position = cast(stage_t.c.position, Integer)
    new, changed = session.execute(
        select(
            func.array_agg(aggregate_order_by(position, position)).filter(table.c.id.is_(None)),
            func.array_agg(aggregate_order_by(position, position)).filter(table.c.id.is_not(None)),
        )
        .select_from(stage_t.outerjoin(table, match))
        .where(table.c.row_hash.is_distinct_from(stage_t.c.row_hash))
    ).one()
    return Comparison(_mask(len(rows), new), _mask(len(rows), changed))


def _mask(size: int, positions: Sequence[int] | None) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    if positions:
        mask[np.asarray(positions)] = True
    return mask


@dataclass(frozen=True)
class Written:
    """What an upsert really did: rows inserted and rows updated (rows it found unchanged, or that
    a concurrent run had just written the same way, are in neither)."""

    inserted: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated


def upsert_frame(
    session: Session,
    table: Table,
    tenant_id: int,
    frame: pd.DataFrame,
    key: Sequence[str],
    changed_only: bool = True,
) -> Written:
    """Insert or update ``frame``'s rows (columns named as the table's) for one tenant."""
    if frame.empty:
        return Written()
    upsert = _Upsert(table, tenant_id, frame.assign(tenant_id=tenant_id), key, changed_only)
    if session.get_bind().dialect.name == "postgresql":
        return _copy_upsert(session, upsert)
    return _executemany_upsert(session, upsert)


@dataclass(frozen=True)
class _Upsert:
    """A batch to upsert and how it meets its table: what either dialect's writer takes."""

    table: Table
    tenant_id: int
    rows: pd.DataFrame  # carrying ``tenant_id`` already
    key: Sequence[str]
    changed_only: bool

    @property
    def columns(self) -> list[str]:
        return list(self.rows.columns)


def _on_conflict_update(stmt: PgInsert | SqliteInsert, upsert: _Upsert) -> Any:
    """The upsert's ON CONFLICT clause, the same in both dialects: a row whose hash is unchanged
    is not touched (``changed_only``)."""
    table = upsert.table
    return stmt.on_conflict_do_update(
        index_elements=["tenant_id", *upsert.key],
        set_=_update_set(table, stmt.excluded, upsert.columns, upsert.key),
        where=table.c.row_hash.is_distinct_from(stmt.excluded.row_hash) if upsert.changed_only else None,
    )


def _update_set(table: Table, excluded: Any, columns: Sequence[str], key: Sequence[str]) -> dict[str, Any]:
    keep = ("tenant_id", "first_seen_at", "created_at", *key)  # what an update must not overwrite
    values: dict[str, Any] = {c: excluded[c] for c in columns if c not in keep}
    if "updated_at" in table.c:
        values["updated_at"] = literal_column("CURRENT_TIMESTAMP")  # portable, and executemany-safe
    return values


def _executemany_upsert(session: Session, upsert: _Upsert) -> Written:
    table, rows, columns = upsert.table, upsert.rows, upsert.columns
    # The pipeline hands every value over as text; SQLite's driver wants JSON and dates as Python objects.
    json_columns = [c for c in columns if isinstance(table.c[c].type, JSON)]
    date_columns = [c for c in columns if isinstance(table.c[c].type, Date)]
    records: list[dict[str, Any]] = rows.astype(object).where(rows.notna(), None).to_dict("records")  # type: ignore[assignment]
    for record in records:
        for c in json_columns:
            record[c] = json.loads(record[c]) if isinstance(record[c], str) else record[c]
        for c in date_columns:
            record[c] = dt.date.fromisoformat(record[c]) if isinstance(record[c], str) else record[c]
    stmt = _on_conflict_update(sqlite_insert(table), upsert)
    # SQLite has no xmax to tell an insert from an update; the keys already there, looked up in
    # this write transaction (SQLite's single writer lock is held), tell it instead.
    present = len(_stored_values(session, table, upsert.tenant_id, upsert.key, rows, table.c.id).dropna())
    result: CursorResult[Any] = session.execute(stmt, records)  # type: ignore[assignment]
    inserted = len(rows) - present
    return Written(inserted, max(result.rowcount - inserted, 0))


def _copy_upsert(session: Session, upsert: _Upsert) -> Written:
    table = upsert.table
    stage = f"_stage_{table.name}_{next(_stage_names)}"
    staged = [c for c in upsert.columns if c != "tenant_id"]
    _copy_text_stage(session, stage, staged, upsert.rows)
    stage_t = sa_table(stage, *(sa_column(c) for c in staged))
    # The stage holds text; each value becomes its column's type inside the one INSERT … SELECT.
    values = [cast(stage_t.c[c], table.c[c].type) for c in staged]
    stmt = pg_insert(table).from_select(["tenant_id", *staged], select(literal(upsert.tenant_id), *values))
    stmt = _on_conflict_update(stmt, upsert)
    # Counted inside Postgres: a row of booleans per written record would cost more to fetch.
    written = stmt.returning(literal_column("xmax = 0").label("inserted")).cte("written")
    inserted, total = session.execute(
        select(func.count().filter(written.c.inserted), func.count()).select_from(written)
    ).one()
    return Written(inserted, total - inserted)


def _copy_text_stage(session: Session, stage: str, columns: list[str], rows: pd.DataFrame) -> None:
    """Binary COPY of ``rows`` into a temporary all-text table. The pipeline's values are text
    already, and binary COPY of text needs no formatting or escaping in Python: measured, it moves
    several times the rows/s of a CSV COPY (whose ``to_csv`` alone costs more than the COPY)."""
    quoted = [f'"{c}"' for c in columns]
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection), "get_engine runs every Postgres URL on psycopg 3"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TEMP TABLE "{stage}" ({", ".join(f"{q} text" for q in quoted)}) ON COMMIT DROP')
        with cursor.copy(f'COPY "{stage}" ({", ".join(quoted)}) FROM STDIN WITH (FORMAT binary)') as copy:
            copy.set_types(["text"] * len(columns))
            for row in zip(*(text_values(rows[c]) for c in columns), strict=True):
                copy.write_row(row)


def text_values(values: pd.Series) -> list[str | None]:
    """A column as text, numbers and dates as pandas prints them. Missing values and empty strings
    are None (NULL): an ERP's empty cell is an absent value, not a text of no characters."""
    text = values if pd.api.types.is_string_dtype(values) else values.astype("string")
    cells = text.to_numpy(dtype=object, copy=True)
    cells[pd.isna(cells)] = None
    cells[cells == ""] = None
    return cells.tolist()


def shop_keys(session: Session, table: Table, tenant_id: int, key: Sequence[str]) -> set[tuple[str, ...]]:
    rows = session.execute(select(*(table.c[k] for k in key)).where(table.c.tenant_id == tenant_id))
    return {tuple(row) for row in rows}


def delete_keys(
    session: Session, table: Table, tenant_id: int, key: Sequence[str], doomed: Sequence[tuple[str, ...]]
) -> int:
    """Delete the tenant's records with these (possibly composite) keys; returns how many went."""
    deleted = 0
    for start in range(0, len(doomed), LOOKUP_CHUNK):
        chunk = doomed[start : start + LOOKUP_CHUNK]
        result = session.execute(
            delete(table).where(table.c.tenant_id == tenant_id, tuple_(*(table.c[k] for k in key)).in_(chunk))
        )
        deleted += int(getattr(result, "rowcount", 0))
    return deleted
