"""Storage metering on real databases: a tenant's rows and files, never another tenant's, and the
same figures in `erp-sync quota`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from domain.staff import add_admin
from quotas.storage import database_bytes, measure_storage
from services.tenants import add_tenant
from shop.models import Tenant
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work


def new_tenant(url: str, drop: Path) -> int:
    with unit_of_work(url) as session:
        tenant = add_tenant(
            session,
            f"s-{uuid.uuid4().hex[:8]}",
            "starter",
            erp_kind="csv_files",
            erp_options={"path": str(drop)},
            entities=["products"],
        )
        return tenant.id


def test_rows_and_files_of_one_tenant_are_metered(any_url: str, tmp_path: Path) -> None:
    drop, other_drop = tmp_path / "drop", tmp_path / "other"
    (drop / "old").mkdir(parents=True)
    (drop / "products.csv").write_bytes(b"x" * 1_000)
    (drop / "old" / "products-2026-10.csv").write_bytes(b"y" * 234)
    (drop / "link.csv").symlink_to(drop / "products.csv")  # stored once, counted once
    tenant_id, other_id = new_tenant(any_url, drop), new_tenant(any_url, other_drop)
    sessions = session_factory(any_url)

    with sessions() as session:
        empty, other_before = database_bytes(session, tenant_id), database_bytes(session, other_id)
    with unit_of_work(any_url) as session:
        for n in range(20):
            add_admin(session, tenant_id, f"admin{n}@{'x' * 40}.es", "A name long enough to weigh something")
    with sessions() as session:
        grown = database_bytes(session, tenant_id)
        other_after = database_bytes(session, other_id)
        use = measure_storage(session, session.get_one(Tenant, tenant_id))

    assert empty > 0  # the tenant's own row
    assert grown - empty > 20 * 60  # twenty admins, each well over 60 bytes of e-mail and name
    assert other_after == other_before  # none of them is the other tenant's
    assert use.file_bytes == 1_234 and use.database_bytes == grown
    assert use.estimated == any_url.startswith("sqlite")

    slug = invoke(any_url, "tenant list --json").stdout
    slug = next(t["tenant"] for t in json.loads(slug)["tenants"] if t["erp_options"] == {"path": str(drop)})
    quota = json.loads(invoke(any_url, f"quota {slug} --json").stdout)
    with sessions() as session:  # the first report opened the tenant's billing period: one row more
        now = measure_storage(session, session.get_one(Tenant, tenant_id))
    assert now.database_bytes > use.database_bytes and now.file_bytes == use.file_bytes
    assert quota["storage"] == now.to_json()
    assert (quota["storage"]["extra_gb"], quota["storage"]["overage_eur"]) == (0, "0.00")
    text = invoke(any_url, f"quota {slug}").stdout
    assert f"storage: {now.total_bytes:,} bytes" in text and "overage 0 GB, €0.00" in text
