"""Set up a Prefect server for erp-sync: the work pool, the concurrency limits and the automations.

Every step creates what is missing and leaves what exists alone, so running it twice changes
nothing, and limits or automations that ops tuned in the UI survive a re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast
from uuid import UUID

from prefect import get_client
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect.settings import PREFECT_API_URL
from prefect.workers.process import ProcessWorker
from sqlalchemy.orm import Session

from deployments.automations import HEARTBEAT_SECONDS, automations, crash_unresponsive_runs
from flows.concurrency import drop_tenant_limit, ensure_limits, limits_for
from flows.owner_alerts import save_webhook_block
from records.errors import InvalidInput
from services.tenants import list_tenants

POOL = "erp-sync"
CONTROL_QUEUE = "control"  # the dispatcher's and the billing roll's (prefect.yaml)
ALERTS_BLOCK = "erp-sync-alerts"


@dataclass(frozen=True)
class Step:
    kind: str
    name: str
    outcome: str  # created | exists | updated | skipped


def api_url() -> str:
    """The configured server; set-up against the ephemeral API would vanish with this process."""
    url = PREFECT_API_URL.value()
    if not url:
        raise InvalidInput("PREFECT_API_URL is not set: point it at the Prefect server, e.g. http://127.0.0.1:4200/api")
    return str(url)


def ensure_pool(client: SyncPrefectClient, name: str = POOL) -> Step:
    template = ProcessWorker.get_default_base_job_template()
    # Every run of the pool sends heartbeats, which the "unresponsive run" automation watches.
    template["variables"]["properties"]["env"]["default"] = {
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS)
    }
    try:
        client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))
    except ObjectAlreadyExists:
        return Step("work pool", name, "exists")
    return Step("work pool", name, "created")


def ensure_control_queue(client: SyncPrefectClient) -> Step:
    """The pool's first queue: when a slot frees, the worker takes the dispatcher or the billing
    roll before the next of hundreds of waiting tenant runs."""
    try:
        client.create_work_queue(CONTROL_QUEUE, work_pool_name=POOL, priority=1)
    except ObjectAlreadyExists:
        return Step("work queue", CONTROL_QUEUE, "exists")
    return Step("work queue", CONTROL_QUEUE, "created")


def tenant_limit_steps(client: SyncPrefectClient, session: Session) -> list[Step]:
    wanted: dict[str, int] = {}
    for tenant in list_tenants(session):
        wanted.update(limits_for(tenant.slug, dict(tenant.erp_options)))
    created = set(ensure_limits(client, wanted))
    return [Step("concurrency limit", name, "created" if name in created else "exists") for name in wanted]


def alerts_block(notify_url: str | None) -> tuple[UUID | None, Step]:
    """The webhook the automations notify: saved from ``notify_url``, or the one saved before."""
    existing: CustomWebhookNotificationBlock | None
    try:
        # Called from sync code, load dispatches (async_dispatch) to its sync variant: the block itself.
        existing = cast(CustomWebhookNotificationBlock, CustomWebhookNotificationBlock.load(ALERTS_BLOCK))
    except ValueError:  # Prefect's answer for a block that does not exist
        existing = None
    if notify_url is None or (existing is not None and existing.url == notify_url):
        if existing is None:
            return None, Step("notification block", ALERTS_BLOCK, "skipped: pass --notify-url")
        return existing._block_document_id, Step("notification block", ALERTS_BLOCK, "exists")
    block_id = save_webhook_block(ALERTS_BLOCK, notify_url)
    return block_id, Step("notification block", ALERTS_BLOCK, "updated" if existing else "created")


def automation_steps(client: SyncPrefectClient, block_id: UUID | None) -> list[Step]:
    """The crash detection always; the notifications once there is a block to send them with."""
    wanted = [crash_unresponsive_runs()]
    steps = []
    if block_id is None:
        steps.append(Step("automation", "erp-sync: notifications", "skipped: no notification block"))
    else:
        wanted += automations(block_id)
    for automation in wanted:
        if client.read_automations_by_name(automation.name):
            steps.append(Step("automation", automation.name, "exists"))
            continue
        automation.create()
        steps.append(Step("automation", automation.name, "created"))
    return steps


def init_server(session: Session, notify_url: str | None) -> list[Step]:
    api_url()
    block_id, block_step = alerts_block(notify_url)
    with get_client(sync_client=True) as client:
        return [
            ensure_pool(client),
            ensure_control_queue(client),
            *tenant_limit_steps(client, session),
            block_step,
            *automation_steps(client, block_id),
        ]


def create_tenant_limits(slug: str, erp_options: dict[str, object]) -> list[str]:
    """Create a new tenant's limits when a server is configured; returns the names created."""
    if not PREFECT_API_URL.value():
        return []  # embedded mode: the first run creates them on the ephemeral API
    with get_client(sync_client=True) as client:
        return ensure_limits(client, limits_for(slug, dict(erp_options)))


def delete_tenant_limit(slug: str) -> bool:
    """Delete a removed tenant's own limit; an ERP endpoint's limit may serve other tenants."""
    if not PREFECT_API_URL.value():
        return False
    with get_client(sync_client=True) as client:
        return drop_tenant_limit(client, slug)
