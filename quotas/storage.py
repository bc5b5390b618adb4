"""Storage metering: a tenant's bytes in the shop DB plus its stored files, against the 10 GB
every plan includes; each extra GB, started, costs €2.3 (seed 000)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, Table, cast, func, select, union_all
from sqlalchemy.orm import Session

from shop.db import is_postgres
from shop.models import Base, Tenant

GB = 10**9  # the pricing page's GB: decimal, as storage is sold
INCLUDED_GB = 10
EUR_PER_EXTRA_GB = Decimal("2.3")


@dataclass(frozen=True)
class StorageUse:
    database_bytes: int
    file_bytes: int
    estimated: bool  # SQLite has no per-row size: the sum of the values' lengths stands in

    @property
    def total_bytes(self) -> int:
        return self.database_bytes + self.file_bytes

    @property
    def extra_gb(self) -> int:
        """GB over the included ones, every started GB counted."""
        over = self.total_bytes - INCLUDED_GB * GB
        return -(-over // GB) if over > 0 else 0

    @property
    def overage_eur(self) -> Decimal:
        return (self.extra_gb * EUR_PER_EXTRA_GB).quantize(Decimal("0.01"))

    def to_json(self) -> dict[str, Any]:
        return {
            "database_bytes": self.database_bytes,
            "file_bytes": self.file_bytes,
            "total_bytes": self.total_bytes,
            "included_bytes": INCLUDED_GB * GB,
            "extra_gb": self.extra_gb,
            "overage_eur": str(self.overage_eur),
            "estimated": self.estimated,
        }


def measure_storage(session: Session, tenant: Tenant) -> StorageUse:
    files = files_bytes(stored_file_roots(tenant))
    return StorageUse(database_bytes(session, tenant.id), files, estimated=not is_postgres(session))


def _owned_tables() -> list[tuple[Table, str]]:
    """Every table that holds a tenant's rows, with the column naming the tenant."""
    tables = [(table, "tenant_id") for table in Base.metadata.sorted_tables if "tenant_id" in table.c]
    return [(Base.metadata.tables["tenants"], "id"), *tables]


def database_bytes(session: Session, tenant_id: int) -> int:
    """Postgres: the stored size of each of the tenant's rows (``pg_column_size`` of the whole
    row, compressed as stored; indexes not included). SQLite: the byte length of every value."""
    postgres = is_postgres(session)
    parts = []
    for table, column in _owned_tables():
        if postgres:
            size = func.pg_column_size(table.table_valued())
        else:
            lengths = [func.coalesce(func.length(cast(c, LargeBinary)), 0) for c in table.c]
            size = sum(lengths[1:], lengths[0])
        parts.append(select(func.coalesce(func.sum(size), 0).label("bytes")).where(table.c[column] == tenant_id))
    sizes = union_all(*parts).subquery()
    return int(session.execute(select(func.coalesce(func.sum(sizes.c.bytes), 0))).scalar_one())


def stored_file_roots(tenant: Tenant) -> list[Path]:
    """The folders holding the tenant's files: the drop folder of a CSV/Excel ERP on this machine."""
    path = tenant.erp_options.get("path") if tenant.erp_kind == "csv_files" else None
    return [Path(path)] if isinstance(path, str) and path else []


def files_bytes(roots: Iterable[Path]) -> int:
    """Sizes of the regular files under ``roots``; symbolic links are not followed (what they
    point at is stored elsewhere), a folder that does not exist holds nothing."""
    total = 0
    for root in roots:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder, name)
                if path.is_file() and not path.is_symlink():
                    total += path.stat().st_size
    return total
