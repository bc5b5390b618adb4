"""What erp-sync is compared with, writing the same product variants to the same Postgres: the
raw psycopg 3 binary COPY floor (into a bare copy of the variants table, and into the shop's
own tables with their templates and foreign keys), a dlt merge and a naive per-row ORM upsert."""

from __future__ import annotations

import json
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
from exports import product_export
from measure import Figure, psql, shop_session, timed
from sqlalchemy import make_url, select

from domain.products import PRODUCTS, write_templates
from domain.transform import transform_page
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from records.erp import Entity
from services.tenants import add_tenant
from shop.bulk import text_values
from shop.models import ProductVariant

FLOOR_TABLE = "floor_variants"


def variant_frame(rows: list[list[str]]) -> pd.DataFrame:
    """The export's variants exactly as erp-sync writes them (validated, derived, hashed), in
    memory: what every alternative starts from."""
    folder = Path(tempfile.mkdtemp(prefix="erp-sync-bench-"))
    product_export(folder, rows)
    pages = CsvFilesAdapter(folder).fetch(Entity.PRODUCTS, None, 100_000)
    frame = pd.concat([transform_page(page, PRODUCTS).rows for page in pages], ignore_index=True)
    return frame[[*PRODUCTS.columns, "row_hash"]].assign(tenant_id=1)


def libpq_url(url: str, password_required: bool = False) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if password_required and parsed.password is None:
        parsed = parsed.set(password="unused")
    return parsed.render_as_string(hide_password=False)


def copy_floor(url: str, frame: pd.DataFrame, count: int) -> Figure:
    """(a) psycopg 3 binary COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE …
    WHERE row_hash IS DISTINCT FROM, into an empty copy of the variants table, from rows already
    in memory as text: no reading, validation, hashing, diff, quota or bookkeeping. ``LIKE``
    copies no foreign key, and there are no templates: a floor the import cannot reach."""
    psql(url, f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (LIKE product_variants INCLUDING ALL)")
    figure = Figure("(a) raw psycopg 3 binary COPY + INSERT … ON CONFLICT", len(frame))
    variants = _Upsert(FLOOR_TABLE, frame, ("tenant_id", "sku"))
    with psycopg.connect(libpq_url(url)) as conn:
        for _ in range(count):
            conn.execute(f"TRUNCATE {FLOOR_TABLE}")
            conn.commit()
            figure.seconds.append(timed(_load, conn, [variants]))
    return figure


def constrained_floor(url: str, frame: pd.DataFrame, rows: list[list[str]], count: int) -> Figure:
    """(b) the same COPY and INSERT … ON CONFLICT, into the shop's own ``product_templates`` and
    ``product_variants`` for a new tenant each round: the templates first, then the variants,
    each checked against its tenant and its template, as the import writes them."""
    templates = pd.DataFrame(
        {"code": code, "name": name} for code, name in {row[3]: row[4] for row in rows}.items()
    ).assign(row_hash=lambda t: t["code"])
    figure = Figure("(b) the same, into the shop's tables: templates, foreign keys", len(frame))
    with psycopg.connect(libpq_url(url)) as conn:
        for _ in range(count):
            with shop_session(url) as session:
                slug = f"floor-{uuid.uuid4().hex[:8]}"
                tenant_id = add_tenant(session, slug, "bench", erp_kind="csv_files", erp_options={}, entities=[]).id
            steps = [
                _Upsert("product_templates", templates.assign(tenant_id=tenant_id), ("tenant_id", "code")),
                _Upsert("product_variants", frame.assign(tenant_id=tenant_id), ("tenant_id", "sku")),
            ]
            figure.seconds.append(timed(_load, conn, steps))
    return figure


def _load(conn: psycopg.Connection[Any], steps: list[_Upsert]) -> None:
    with conn.transaction(), conn.cursor() as cur:
        for step in steps:
            step.run(cur)


class _Upsert:
    """One table's COPY into a stage and INSERT … ON CONFLICT from it, its rows prepared as text
    beforehand so that only the database's work is timed."""

    def __init__(self, table: str, frame: pd.DataFrame, key: tuple[str, ...]) -> None:
        self.table, self.key = table, key
        self.columns = list(frame.columns)
        self.records = list(zip(*(text_values(frame[c]) for c in self.columns), strict=True))

    def run(self, cur: psycopg.Cursor[Any]) -> None:
        names = ", ".join(self.columns)
        casts = ", ".join(f"{c}::{_pg_type(c)}" for c in self.columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c not in self.key)
        cur.execute(f"CREATE TEMP TABLE stage ({', '.join(f'{c} text' for c in self.columns)}) ON COMMIT DROP")
        with cur.copy(f"COPY stage ({names}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.set_types(["text"] * len(self.columns))
            for record in self.records:
                copy.write_row(record)
        cur.execute(
            f"INSERT INTO {self.table} ({names}) SELECT {casts} FROM stage "
            f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {updates} "
            f"WHERE {self.table}.row_hash IS DISTINCT FROM excluded.row_hash"
        )
        cur.execute("DROP TABLE stage")


def _pg_type(column: str) -> str:
    return {"tenant_id": "integer", "price": "numeric", "attrs": "jsonb"}.get(column, "text")


def dlt_merge(url: str, frame: pd.DataFrame, count: int) -> Figure:
    """dlt's ``merge`` of the same rows (as the dicts an extractor yields) into a fresh dataset."""
    import dlt

    records = frame.to_dict("records")
    figure = Figure("(c) dlt merge", len(frame))
    for _ in range(count):
        pipeline = dlt.pipeline(
            pipeline_name=f"bench_{uuid.uuid4().hex[:8]}",
            # dlt insists on a password; a local server that trusts its clients ignores it
            destination=dlt.destinations.postgres(credentials=libpq_url(url, password_required=True)),
            dataset_name=f"dlt_{uuid.uuid4().hex[:8]}",
            pipelines_dir=tempfile.mkdtemp(prefix="erp-sync-bench-dlt-"),
            progress=None,
        )
        figure.seconds.append(
            timed(
                pipeline.run,
                records,
                table_name="variants",
                write_disposition="merge",
                primary_key=["tenant_id", "sku"],
            )
        )
    return figure


def orm_per_row(url: str, frame: pd.DataFrame, share: float, count: int) -> Figure:
    """The naive way: per row a SELECT by key, then an update or an insert of an ORM object, one
    flush per row and one commit at the end. Run on ``share`` of the rows; extrapolated."""
    sample = frame.iloc[:: round(1 / share)]
    figure = Figure("(d) naive ORM per-row upsert", len(frame), note=f"{len(sample):,}-row sample, extrapolated")
    for _ in range(count):
        with shop_session(url) as session:
            slug = f"orm-{uuid.uuid4().hex[:8]}"
            tenant_id = add_tenant(session, slug, "bench", erp_kind="csv_files", erp_options={}, entities=[]).id
            write_templates(session, tenant_id, sample.assign(template_name=sample["template_code"]))
        figure.seconds.append(timed(_orm_upsert, url, tenant_id, sample) * len(frame) / len(sample))
    return figure


def _orm_upsert(url: str, tenant_id: int, sample: pd.DataFrame) -> None:
    with shop_session(url) as session:
        for record in sample.to_dict("records"):
            values: dict[str, Any] = {
                **{c: record[c] for c in (*PRODUCTS.columns, "row_hash")},
                "price": Decimal(record["price"]),
                "attrs": json.loads(record["attrs"]),
            }
            found = session.scalars(
                select(ProductVariant).where(ProductVariant.tenant_id == tenant_id, ProductVariant.sku == values["sku"])
            ).one_or_none()
            if found is None:
                session.add(ProductVariant(tenant_id=tenant_id, **values))
            else:
                for name, value in values.items():
                    setattr(found, name, value)
            session.flush()
