"""Per-tenant and per-ERP-endpoint concurrency, as Prefect global concurrency limits.

Prefect has no dynamic per-parameter concurrency key, so each tenant gets its own limit,
``tenant:<slug>`` with one slot (a tenant never runs two imports at once), and each networked ERP
gets ``erp:<host>`` with a few slots (an on-premise ERP serves only a handful of clients at once).
A file-drop ERP has no endpoint to protect, so it gets no ERP limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError  # re-exported there, raised by both
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

TENANT_SLOTS = 1
ERP_SLOTS = 2
# The server takes a slot back this long after its holder stopped renewing it (a killed worker);
# 60 s is the shortest lease Prefect's API accepts. A live run renews at 75 % of it.
LEASE_SECONDS = 60
REPORT_EVERY = 10.0  # seconds between two "still waiting" lines while a run waits for a slot


class SlotWaitExceeded(Exception):
    """A run waited its whole allowance for its slots: another run of the tenant holds them."""


def tenant_limit(slug: str) -> str:
    return f"tenant:{slug}"


def erp_limit(options: dict[str, Any]) -> str | None:
    """``erp:<host>`` for an ERP reached over the network (``url`` or ``host`` option), else None."""
    host = urlsplit(str(options["url"])).hostname if options.get("url") else options.get("host")
    return f"erp:{str(host).lower()}" if host else None


def limits_for(slug: str, erp_options: dict[str, Any]) -> dict[str, int]:
    """The limits a run of this tenant holds, with the slots each gets when it is created."""
    limits = {tenant_limit(slug): TENANT_SLOTS}
    endpoint = erp_limit(erp_options)
    if endpoint is not None:
        limits[endpoint] = ERP_SLOTS
    return limits


def ensure_limits(client: SyncPrefectClient, limits: dict[str, int]) -> list[str]:
    """Create the limits that do not exist yet and return their names. An existing limit is left
    as it is, so a slot count that ops tuned in the UI survives."""
    created = []
    for name, slots in limits.items():
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
                created.append(name)
            except ObjectAlreadyExists:  # another run or command created it meanwhile
                pass
    return created


def release_orphaned_slots(client: SyncPrefectClient) -> list[str]:
    """Give back every slot of the tenants' and ERPs' limits; returns the limits that had some.

    Only for the embedded mode, and only when no other command is running (cli/embedded.py):
    the temporary local API keeps its slot leases in memory and runs no service that revokes
    them, so a killed command's slots would stay taken in its database for ever."""
    released = []
    for limit in client.read_global_concurrency_limits(limit=200):
        if limit.active_slots and limit.name.startswith(("tenant:", "erp:")):
            client.update_global_concurrency_limit(limit.name, GlobalConcurrencyLimitUpdate(active_slots=0))
            released.append(limit.name)
    return released


def _server_error(exc: ConcurrencySlotAcquisitionError) -> bool:
    """The API failed (503 Service Unavailable under load), as opposed to refusing the request."""
    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code >= 500


def holds_alone(client: SyncPrefectClient, slug: str) -> bool:
    """Whether the tenant's limit lets one run in at a time, as created; ops may have raised it."""
    return client.read_global_concurrency_limit_by_name(tenant_limit(slug)).limit == 1


def drop_tenant_limit(client: SyncPrefectClient, slug: str) -> bool:
    try:
        client.delete_global_concurrency_limit_by_name(tenant_limit(slug))
    except ObjectNotFound:
        return False
    return True


@contextmanager
def tenant_slots(
    limits: dict[str, int],
    wait_seconds: float = float("inf"),
    waiting: Callable[[float], None] = lambda waited: None,
) -> Iterator[None]:
    """Hold one slot of each limit for the block.

    The limits are made sure of first: ``erp-sync server init`` and ``tenant add`` create them up
    front (so ops can see and tune them), and this covers the embedded mode, whose ephemeral API
    never saw either command. ``strict=True`` then turns a limit that vanished in between into an
    error: Prefect's default would only warn and run unguarded.

    A killed run's slots come back when its lease lapses (``LEASE_SECONDS``). A failed renewal does
    not stop the run: the quota ledger, not the slot, keeps the tenant's budget safe.

    The wait is bounded and visible: every ``REPORT_EVERY`` seconds ``waiting`` is told how long
    it has been (the flow logs who holds the slot), an API answering 5xx is asked again, and
    after ``wait_seconds`` ``SlotWaitExceeded`` ends the wait.
    """
    with get_client(sync_client=True) as client:
        ensure_limits(client, limits)
    started = time.monotonic()
    while True:
        left = wait_seconds - (time.monotonic() - started)
        if left <= 0:
            waited = time.monotonic() - started
            raise SlotWaitExceeded(
                f"waited {waited:,.0f} s for {', '.join(limits)}: another run of the tenant holds it"
            )
        with ExitStack() as holding:
            try:
                holding.enter_context(
                    concurrency(
                        list(limits),
                        occupy=1,
                        strict=True,
                        timeout_seconds=min(REPORT_EVERY, left),
                        lease_duration=LEASE_SECONDS,
                        raise_on_lease_renewal_failure=False,
                    )
                )
            except TimeoutError:  # Prefect's AcquireConcurrencySlotTimeoutError: nothing was taken
                pass
            except ConcurrencySlotAcquisitionError as exc:
                if not _server_error(exc):
                    raise  # a limit that vanished, a refused request: not worth waiting for
            else:
                yield
                return
        waited = time.monotonic() - started
        if waited < wait_seconds:
            waiting(waited)
