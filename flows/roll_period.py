"""Open each tenant's new billing period when its month starts, in the tenant's timezone."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.events import emit_event

from app.root import process_root
from flows.heartbeat import beating
from flows.reporting import tenant_resource
from services.tenants import list_tenants


@flow(name="roll-usage-period", flow_run_name="roll usage period · {timezone}")
@beating
def roll_usage_period(timezone: str = "all") -> list[dict[str, Any]]:
    """Open the current period of every tenant in ``timezone`` ("all": every tenant) and lift the
    holds the old period caused (a spent process budget). Safe to run again: a period that is
    already open is left alone, so one schedule per timezone can fire at its own midnight."""
    root = process_root()
    sessions, ledger = root.sessions, root.ledger
    with sessions() as session:
        tenants = [(t.id, t.slug) for t in list_tenants(session) if timezone in ("all", t.timezone)]
    rows: list[dict[str, Any]] = []
    for tenant_id, slug in tenants:
        period, opened = ledger.open_period(tenant_id)
        status = ledger.refresh_status(tenant_id)
        if opened:
            emit_event(
                event="erp-sync.usage.period-opened", resource=tenant_resource(slug), payload={"period": period.key}
            )
        rows.append({"tenant": slug, "period": period.key, "opened": opened, "status": status})
    opened_count = sum(row["opened"] for row in rows)
    get_run_logger().info("%d of %d tenants in %s started a new period", opened_count, len(rows), timezone)
    if rows:
        create_table_artifact(table=rows, key="usage-periods", description=f"Billing periods ({timezone})")
    return rows
