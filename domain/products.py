"""The products entity: one record per variant; templates are derived from the variants' rows."""

from __future__ import annotations

import json
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

from domain.hashing import row_hashes
from domain.specs import EntitySpec, FieldSpec
from shop.bulk import upsert_frame
from shop.models import ProductTemplate, ProductVariant

ATTRIBUTES = ("color", "size")


def derive_variant_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A variant without a template is its own template; colour and size become attributes."""
    out = frame.copy()
    out["template_code"] = out["template_code"].mask(out["template_code"] == "", out["sku"])
    out["template_name"] = out["template_name"].mask(out["template_name"] == "", out["name"])
    out["barcode"] = out["barcode"].mask(out["barcode"] == "", None)
    out["attrs"] = json_objects(out, ATTRIBUTES)
    return out


def json_objects(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series:
    """Per row, the JSON object of ``keys``' non-empty values, byte for byte as
    ``json.dumps(…, ensure_ascii=False, sort_keys=True)`` writes it (the row hash covers it).
    Built column by column: attribute values repeat, so each distinct one is encoded only once."""
    body = pd.Series("", index=frame.index, dtype=object)
    for key in sorted(keys):
        codes, uniques = pd.factorize(frame[key])
        encoded = np.array([f"{json.dumps(key)}: {json.dumps(v, ensure_ascii=False)}" for v in uniques], dtype=object)
        items = pd.Series(encoded[codes], index=frame.index, dtype=object)
        present = frame[key] != ""
        body = body.mask(present & (body != ""), body + ", " + items).mask(present & (body == ""), items)
    return "{" + body + "}"


def write_templates(session: Session, tenant_id: int, rows: pd.DataFrame) -> None:
    templates = (
        rows[["template_code", "template_name"]]
        .drop_duplicates("template_code", keep="last")
        .rename(columns={"template_code": "code", "template_name": "name"})
    )
    templates["row_hash"] = row_hashes(templates, ("code", "name"))
    upsert_frame(session, TEMPLATES, tenant_id, templates, key=("code",))


TEMPLATES = cast(Table, ProductTemplate.__table__)

PRODUCTS = EntitySpec(
    name="products",
    table=cast(Table, ProductVariant.__table__),
    key=("sku",),
    fields=(
        FieldSpec("sku", required=True, max_length=64),
        FieldSpec("name", required=True, max_length=255),
        FieldSpec("price", kind="decimal", required=True, minimum=0),
        FieldSpec("template_code", max_length=64),
        FieldSpec("template_name", max_length=255),
        FieldSpec("barcode", max_length=32),
        FieldSpec("color", max_length=64),
        FieldSpec("size", max_length=32),
    ),
    credited=True,
    derived=("template_code", "barcode", "attrs"),
    derive=derive_variant_columns,
    carried=("template_name",),
    before_write=write_templates,
)
