"""Customers and their contacts: both credited (one credit per customer and per contact)."""

from __future__ import annotations

from typing import cast

import pandas as pd
from sqlalchemy import Table

from domain.specs import EntitySpec, FieldSpec, ParentRef
from domain.tax_ids import is_valid_spanish_tax_id, normalise_tax_id
from shop.models import Contact, Customer

CUSTOMERS_TABLE = cast(Table, Customer.__table__)


def normalise_customer(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["tax_id"] = out["tax_id"].map(normalise_tax_id)
    out["country"] = out["country"].str.upper()  # a blank country stays blank: nothing is guessed
    out["email"] = out["email"].str.lower()
    return out


def check_tax_id(frame: pd.DataFrame) -> pd.Series:
    """Spanish customers' NIF/NIE/CIF must carry the right control character; foreign VAT
    numbers are taken as given."""
    spanish = frame["country"].str.upper().isin(["", "ES"])
    given = frame["tax_id"] != ""
    reasons = pd.Series("", index=frame.index, dtype=object)
    tax_ids = frame.loc[spanish & given, "tax_id"].astype(str)
    wrong = tax_ids[[not is_valid_spanish_tax_id(tax_id) for tax_id in tax_ids]]
    reasons.loc[wrong.index] = "tax_id is not a valid NIF/NIE/CIF: " + wrong.map(repr)
    return reasons


def normalise_contact(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(email=frame["email"].str.lower())


CUSTOMERS = EntitySpec(
    name="customers",
    table=CUSTOMERS_TABLE,
    key=("code",),
    fields=(
        FieldSpec("code", required=True, max_length=64),
        FieldSpec("tax_id", max_length=32),
        FieldSpec("name", required=True, max_length=255),
        FieldSpec("email", kind="email", max_length=254),
        FieldSpec("phone", max_length=32),
        FieldSpec("address", max_length=255),
        FieldSpec("city", max_length=128),
        FieldSpec("province", max_length=64),
        FieldSpec("postal_code", max_length=16),
        FieldSpec("country", max_length=2),
    ),
    credited=True,
    derive=normalise_customer,
    check=check_tax_id,
)

CONTACTS = EntitySpec(
    name="contacts",
    table=cast(Table, Contact.__table__),
    key=("code",),
    fields=(
        FieldSpec("code", required=True, max_length=64),
        FieldSpec("customer_code", required=True, max_length=64),
        FieldSpec("name", required=True, max_length=255),
        FieldSpec("email", kind="email", max_length=254),
        FieldSpec("phone", max_length=32),
    ),
    credited=True,
    derive=normalise_contact,
    parent=ParentRef("customer_code", CUSTOMERS_TABLE, "code", "customer"),
)
