"""What every per-tenant flow run starts with: its tenant, settings and ledger, and how it is
recorded in ``sync_runs`` when it ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prefect.runtime import flow_run

from app.settings import Settings, get_settings
from flows.owner_alerts import warn_owner
from flows.reporting import install_log_filter
from quotas.ledger import Ledger
from services.tenants import get_tenant
from shop.db import session_factory, unit_of_work
from shop.models import now_utc
from shop.runs import record_run


@dataclass(frozen=True)
class TenantRun:
    tenant: str
    tenant_id: int
    entity: str
    settings: Settings
    run_id: str | None
    started: dt.datetime

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def ledger(self) -> Ledger:
        return Ledger(session_factory(self.url), lease_seconds=self.settings.lease_seconds)

    def finish(self, state: str, message: str, counts: dict[str, int]) -> None:
        """Record the run's outcome in ``sync_runs``, then warn the shop owner of any quota alert
        not yet sent (this run's, or one an earlier run could not send)."""
        with unit_of_work(self.url) as session:
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
        warn_owner(self.url, self.tenant_id)


def start_run(tenant: str, entity: str) -> TenantRun:
    """Resolve the tenant (an unknown one fails the run with one line) and note the start."""
    install_log_filter()
    settings = get_settings()
    with session_factory(settings.database_url)() as session:
        tenant_id = get_tenant(session, tenant).id
    return TenantRun(tenant, tenant_id, entity, settings, str(flow_run.id) if flow_run.id else None, now_utc())
