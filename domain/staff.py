"""The tenant's people: sales reps and back-office admin users, one credit each (seed 000)."""

from __future__ import annotations

from typing import cast

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

from domain.hashing import row_hashes
from domain.specs import EntitySpec, FieldSpec
from shop.models import AdminUser, SalesRep

SALES_REPS = EntitySpec(
    name="sales_reps",
    table=cast(Table, SalesRep.__table__),
    key=("code",),
    fields=(
        FieldSpec("code", required=True, max_length=64),
        FieldSpec("name", required=True, max_length=255),
        FieldSpec("email", kind="email", max_length=254),
    ),
    credited=True,
)

ADMIN_USERS = EntitySpec(
    name="admin_users",
    table=cast(Table, AdminUser.__table__),
    key=("email",),
    fields=(
        FieldSpec("email", kind="email", required=True, max_length=254),
        FieldSpec("name", max_length=255),
    ),
    credited=True,
)


def add_admin(session: Session, tenant_id: int, email: str, name: str = "") -> None:
    """An admin added by hand, hashed as an import would hash it, so a later import of the same
    person from the ERP finds nothing to change."""
    frame = pd.DataFrame([{"email": email, "name": name}])
    session.add(
        AdminUser(tenant_id=tenant_id, email=email, name=name, row_hash=row_hashes(frame, ADMIN_USERS.hashed)[0])
    )
