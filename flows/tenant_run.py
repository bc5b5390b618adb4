"""What every per-tenant flow run starts with: its tenant and the process's composition root, and
how it is recorded in ``sync_runs`` when it ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prefect.runtime import flow_run

from app.root import Root, process_root
from flows.owner_alerts import warn_owner
from flows.reporting import install_log_filter
from services.tenants import get_tenant
from shop.models import now_utc
from shop.runs import record_run


@dataclass(frozen=True)
class TenantRun:
    tenant: str
    tenant_id: int
    entity: str
    root: Root
    run_id: str | None
    started: dt.datetime
    dry_run: bool = False

    def finish(self, state: str, message: str, counts: dict[str, int]) -> None:
        """Record the run's outcome in ``sync_runs``, then warn the shop owner of any quota alert
        not yet sent (this run's, or one an earlier run could not send). A dry run sends nothing."""
        with self.root.session() as session:
            record_run(
                session,
                tenant_id=self.tenant_id,
                entity=self.entity,
                flow_run_id=self.run_id,
                state=state,
                message=message,
                started_at=self.started,
                counts=counts,
            )
        if not self.dry_run:
            warn_owner(self.root.sessions, self.tenant_id)


def start_run(tenant: str, entity: str, *, dry_run: bool = False) -> TenantRun:
    """Resolve the tenant (an unknown one fails the run with one line) and note the start."""
    install_log_filter()
    root = process_root()
    with root.sessions() as session:
        tenant_id = get_tenant(session, tenant).id
    run_id = str(flow_run.id) if flow_run.id else None
    return TenantRun(tenant, tenant_id, entity, root, run_id, now_utc(), dry_run)
