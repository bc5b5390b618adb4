"""Operations on a real Prefect server: set-up, deployments, a process worker, per-tenant limits,
the dispatcher and the alert automations, driven through the `erp-sync` and Prefect commands."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterParentFlowRunId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.events import Event
from prefect.events.clients import get_events_client
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.events.schemas.automations import Posture
from prefect.events.schemas.events import ReceivedEvent
from sqlalchemy import func, select, update

from devkit.samples import product_rows, write_products
from flows.heartbeat import HEARTBEAT_EVENT
from quotas.ledger import Ledger
from shop.models import Order, ProductVariant, Reservation, SyncRun, Tenant
from tests.db import session_factory, unit_of_work
from tests.pg_gates import blocked_by, gone, held, template_gate
from tests.server.conftest import Ops
from tests.waiting import wait_until
from tests.webhook_inbox import WebhookInbox

RUN_TIMEOUT = 120


@pytest.fixture(scope="module")
def inbox() -> Iterator[WebhookInbox]:
    """A webhook on loopback that records what the notification automations post."""
    with WebhookInbox().running() as running:
        yield running


@pytest.fixture(scope="module")
def deployed(ops: Ops, inbox: WebhookInbox) -> tuple[str, str]:
    """`server init` twice (the second must change nothing), then `erp-sync deploy`."""
    started = time.monotonic()
    first = ops.cli("server", "init", "--notify-url", inbox.url).stdout
    ops.timings["server init (s)"] = time.monotonic() - started
    second = ops.cli("server", "init").stdout
    started = time.monotonic()
    ops.cli("deploy")
    ops.timings["deploy all (s)"] = time.monotonic() - started
    with get_client(sync_client=True) as client:  # its schedules would fire mid-test; runs are triggered here
        client.pause_deployment(client.read_deployment_by_name("dispatch-due-tenants/dispatch-due-tenants").id)
    return first, second


def add_tenant(ops: Ops, slug: str, drop: Path, products: int, plan: str = "starter") -> str:
    drop.mkdir()
    write_products(drop, products)
    return ops.cli("tenant", "add", slug, "--plan", plan, "--erp-option", f"path={drop}").stderr


def trigger(slug: str, **parameters: Any) -> FlowRun:
    return run_deployment("sync-tenant/sync-tenant", parameters={"tenant": slug, **parameters}, timeout=0)


def wait_final(run_id: UUID, timeout: float = RUN_TIMEOUT) -> FlowRun:
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                return run
            time.sleep(0.5)
    pytest.fail(f"flow run {run_id} did not finish within {timeout} s")


def import_windows(ops: Ops, slug: str) -> list[tuple[dt.datetime, dt.datetime]]:
    with session_factory(ops.shop_url)() as session:
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == slug)).one()
        rows = session.execute(
            select(SyncRun.started_at, SyncRun.ended_at).where(SyncRun.tenant_id == tenant_id).order_by(SyncRun.id)
        ).all()
    return [(started, ended) for started, ended in rows]


def test_server_init_is_idempotent(ops: Ops, deployed: tuple[str, str]) -> None:
    first, second = deployed
    assert "created" in first and "automation" in first
    assert "created" not in second and "updated" not in second
    with get_client(sync_client=True) as client:
        pool = client.read_work_pool("erp-sync")
        automations = {a.name: a for a in client.read_automations()}
        deployments = client.read_deployments()
    assert pool.type == "process"
    with get_client(sync_client=True) as client:
        priorities = {q.name: q.priority for q in client.read_work_queues(work_pool_name="erp-sync")}
    assert priorities["control"] < priorities["default"]  # the worker polls the control queue first
    queues = {d.name: d.work_queue_name for d in deployments}
    assert queues["dispatch-due-tenants"] == queues["roll-usage-period"] == "control"
    assert queues["sync-tenant"] == queues["export-orders"] == queues["reconcile-deletes"] == "default"
    env = pool.base_job_template["variables"]["properties"]["env"]["default"]
    assert env == {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "60"}
    assert {
        "erp-sync: quota exhausted",
        "erp-sync: quota threshold",
        "erp-sync: run failed",
        "erp-sync: unresponsive run",
    } <= set(automations)
    crash = automations["erp-sync: unresponsive run"]
    assert crash.trigger.posture == Posture.Proactive and crash.trigger.within == dt.timedelta(seconds=180)
    assert [action.type for action in crash.actions] == ["change-flow-run-state"]
    assert {d.name for d in deployments} == {
        "sync-tenant",
        "dispatch-due-tenants",
        "export-orders",
        "reconcile-deletes",
        "roll-usage-period",
    }
    schedules = {s.slug: s.parameters for d in deployments for s in d.schedules}
    assert schedules["syncs-due"] == {"target": "sync-tenant"}
    assert schedules["kyiv"] == {"timezone": "Europe/Kyiv"}


def heartbeats(run_id: UUID) -> list[ReceivedEvent]:
    """The heartbeats the server has stored for one flow run (it stores events a moment after)."""
    with get_client(sync_client=True) as client:
        page = client.read_events(
            EventFilter(
                event=EventNameFilter(name=[HEARTBEAT_EVENT]),
                resource=EventResourceFilter(id=[f"prefect.flow-run.{run_id}"]),
            ),
            limit=50,  # the server's most; the client's default of 100 is refused (422)
        )
    return page.events


def test_sync_tenant_runs_on_a_worker(ops: Ops, deployed: Any, worker: None, tmp_path: Path) -> None:
    added = add_tenant(ops, "shop-a", tmp_path / "shop-a", 30)
    assert "concurrency limits created: tenant:shop-a" in added
    started = time.monotonic()
    run = wait_final(trigger("shop-a").id)
    ops.timings["trigger → Completed via worker (s)"] = time.monotonic() - started
    assert run.state is not None and run.state.is_completed(), run.state
    assert run.name == "sync shop-a"
    assert {"tenant:shop-a", "plan:starter"} <= set(run.tags)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["shop-a-products-report"]))
        )
        assert client.read_global_concurrency_limit_by_name("tenant:shop-a").active_slots == 0
    assert artifacts and json.loads(str(artifacts[0].data))[0]["written"] == 30
    with session_factory(ops.shop_url)() as session:
        stored = session.scalar(
            select(func.count()).select_from(ProductVariant).join(Tenant).where(Tenant.slug == "shop-a")
        )
    assert stored == 30
    # Its heartbeats (Prefect's) and its import subflow's (flows/heartbeat.py) reached the server
    # under the same event name and resource, so the unresponsive-run automation watches both.
    with get_client(sync_client=True) as client:
        (products_run,) = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id]))
        )
    for beating in (run, products_run):
        beats = wait_until(functools.partial(heartbeats, beating.id), timeout=30, what=f"a heartbeat of {beating.name}")
        assert beats[0].resource.name == beating.name
        assert f"prefect.flow.{beating.flow_id}" in {r.id for r in beats[0].related}


def test_the_cli_runs_a_sync_on_the_deployment_and_follows_it(
    ops: Ops, deployed: Any, worker: None, tmp_path: Path
) -> None:
    """With a server, `erp-sync sync` creates a run of the sync-tenant deployment, which a worker
    runs, and prints its table when it ends; `--local` runs the flow in the command itself."""
    slug = f"cli-{uuid4().hex[:6]}"
    add_tenant(ops, slug, tmp_path / slug, 12)
    synced = ops.cli("sync", slug)
    assert f"run 'sync {slug}' of deployment sync-tenant" in " ".join(synced.stderr.split())
    assert "products" in synced.stdout and "12" in synced.stdout  # the summary table: 12 written
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=f"sync {slug}")))
    assert run.deployment_id is not None and run.state is not None and run.state.is_completed(), run.state
    assert {f"tenant:{slug}", "plan:starter"} <= set(run.tags)
    assert stored_variants(ops, slug) == 12

    local = ops.cli("sync", slug, "--local")  # the same export again, in the command's own process
    assert "of deployment" not in local.stderr
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=f"sync {slug}")))
    assert len(runs) == 2 and sum(r.deployment_id is None for r in runs) == 1


def order_states(ops: Ops, slug: str) -> dict[str, str]:
    with session_factory(ops.shop_url)() as session:
        rows = session.execute(select(Order.number, Order.export_state).join(Tenant).where(Tenant.slug == slug))
        return dict(rows.tuples().all())


def export_runs(slug: str) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        name = FlowRunFilterName(like_=f"export orders of {slug}")
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(name=name))


def test_a_placed_order_starts_its_tenant_s_export_within_seconds(
    ops: Ops, deployed: Any, worker: None, tmp_path: Path
) -> None:
    """`order add` emits erp-sync.order.placed; the export-orders deployment's trigger starts that
    tenant's export at once, with no dispatcher (paused here); orders placed while it starts ride
    along in the same run, and each is sent once."""
    slug = f"ord-{uuid4().hex[:6]}"
    drop = tmp_path / slug
    add_tenant(ops, slug, drop, 3)
    line = {"sku": product_rows(1)[0][0], "quantity": "1", "unit_price": "19.90"}
    orders = [{"number": f"W-{n}", "customer_code": "C0001", "placed_at": "2026-12-01T10:00:00Z", "lines": [line]}
              for n in range(3)]  # fmt: skip
    files = []
    for n, order in enumerate(orders):
        files.append(tmp_path / f"order-{n}.json")
        files[-1].write_text(json.dumps(order))

    started = time.monotonic()
    placed = ops.cli("order", "add", slug, "--from-json", str(files[0]))
    for path in files[1:]:  # within the trigger's 5 s: no run of their own
        ops.cli("order", "add", slug, "--from-json", str(path))

    assert "the export of" in placed.stderr and "starts on the Prefect server now" in placed.stderr
    sent = wait_until(
        lambda: set(order_states(ops, slug).values()) == {"sent"}, timeout=90, what=f"the orders of {slug} sent"
    )
    ops.timings["order placed → sent, event-triggered (s)"] = time.monotonic() - started
    assert sent and sorted(p.name for p in (drop / "orders").iterdir()) == ["W-0.csv", "W-1.csv", "W-2.csv"]
    runs = export_runs(slug)
    assert runs and all(run.deployment_id is not None for run in runs)
    assert runs[0].parameters == {"tenant": slug}


def test_the_tenant_limit_serialises_one_tenant_not_others(
    ops: Ops, deployed: Any, worker: None, tmp_path: Path
) -> None:
    add_tenant(ops, "shop-b", tmp_path / "shop-b", 2000, plan="business")
    add_tenant(ops, "shop-c", tmp_path / "shop-c", 2000, plan="business")
    first, second, other = trigger("shop-b"), trigger("shop-b"), trigger("shop-c")
    runs = [wait_final(run.id) for run in (first, second, other)]
    assert all(run.state is not None and run.state.is_completed() for run in runs), [r.state for r in runs]
    (b1, b2), (c,) = sorted(import_windows(ops, "shop-b")), import_windows(ops, "shop-c")
    assert b2[0] >= b1[1], "the second run of shop-b imported while the first still held the tenant"
    assert c[0] < b1[1] and b1[0] < c[1], "shop-c waited for shop-b"
    later_start = max(run.start_time for run in runs[:2] if run.start_time is not None)
    assert later_start < b1[1], "both shop-b runs were running at once: the second waited for the slot"
    ops.timings["shop-b first import (s)"] = (b1[1] - b1[0]).total_seconds()
    ops.timings["shop-b hand-over gap (s)"] = (b2[0] - b1[1]).total_seconds()


def dispatch_syncs() -> dict[str, FlowRun]:
    """One dispatcher run on the worker; the sync-tenant runs it started, by tenant."""
    dispatch = run_deployment(
        "dispatch-due-tenants/dispatch-due-tenants", parameters={"target": "sync-tenant"}, timeout=0
    )
    dispatched = wait_final(dispatch.id)
    assert dispatched.state is not None and dispatched.state.is_completed(), dispatched.state
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["sync-tenant"]))
        )
    return {run.parameters["tenant"]: run for run in runs if run.created and run.created > dispatched.created}


def test_a_held_tenant_is_not_dispatched_until_its_upgrade(
    ops: Ops, deployed: Any, worker: None, tmp_path: Path
) -> None:
    """On its own tenants only: the dispatcher scans every tenant of the module's shop DB, and
    whether the other tests' tenants are due is theirs to know (this test passes run alone)."""
    fresh, held = f"shop-d-{uuid4().hex[:6]}", f"shop-e-{uuid4().hex[:6]}"
    add_tenant(ops, fresh, tmp_path / fresh, 5)  # never synced: due
    add_tenant(ops, held, tmp_path / held, 1100)  # more variants than starter's 1,000 credits
    ceiling = wait_final(trigger(held).id)
    assert ceiling.state is not None and ceiling.state.name == "CreditCeiling", ceiling.state
    assert "1,000/1,000 credits used" in str(ceiling.state.message)
    with unit_of_work(ops.shop_url) as session:  # two hours pass: its hourly products sync is due again
        held_id = select(Tenant.id).where(Tenant.slug == held).scalar_subquery()
        session.execute(
            update(SyncRun)
            .where(SyncRun.tenant_id == held_id)
            .values(started_at=SyncRun.started_at - dt.timedelta(hours=2))
        )
    mine = {fresh, held}

    first = {slug: run for slug, run in dispatch_syncs().items() if slug in mine}
    assert set(first) == {fresh}  # the held tenant is left out
    assert first[fresh].parameters["entities"] == ["products"]
    assert {f"tenant:{fresh}", "plan:starter"} <= set(first[fresh].tags)
    finished = wait_final(first[fresh].id)
    assert finished.state is not None and finished.state.is_completed(), finished.state
    assert finished.name == f"sync {fresh} · products"

    ops.cli("tenant", "set-plan", held, "basic")
    second = {slug: run for slug, run in dispatch_syncs().items() if slug in mine}
    assert set(second) == {held}  # upgraded: dispatched again; the other synced a minute ago (hourly)
    resumed = wait_final(second[held].id)
    assert resumed.state is not None and resumed.state.is_completed(), resumed.state
    assert {f"tenant:{held}", "plan:basic"} <= set(resumed.tags)
    assert stored_variants(ops, held) == 1100


async def send(event: Event) -> None:
    async with get_events_client() as events:
        await events.emit(event)


def test_quota_exhausted_event_notifies_ops(ops: Ops, deployed: Any, inbox: WebhookInbox) -> None:
    inbox.received.clear()
    asyncio.run(
        send(
            Event(
                event="erp-sync.quota.exhausted",
                resource={"prefect.resource.id": "erp-sync.tenant.shop-z", "prefect.resource.name": "shop-z"},
                payload={"kind": "credits", "used": 1000, "limit": 1000, "message": "1,000/1,000 credits used"},
            )
        )
    )
    deadline = time.monotonic() + 30
    while not inbox.received and time.monotonic() < deadline:
        time.sleep(0.2)
    assert inbox.received, "no notification reached the webhook"
    assert "shop-z" in inbox.received[0]["subject"]
    assert "1,000/1,000 credits used" in inbox.received[0]["text"]


def stored_variants(ops: Ops, slug: str) -> int:
    with session_factory(ops.shop_url)() as session:
        return int(
            session.scalar(select(func.count()).select_from(ProductVariant).join(Tenant).where(Tenant.slug == slug))
            or 0
        )


def slots_taken(slug: str) -> int:
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(f"tenant:{slug}").active_slots


def test_a_killed_run_leaks_no_slot_and_no_budget(ops: Ops, deployed: Any, worker: None, tmp_path: Path) -> None:
    """The run is killed with a batch reserved and not yet written, on a plan of exactly the
    export's size. The next dispatch starts the tenant again, and that run completes only if it
    gives the dead batch's budget back, 15 minutes before its lease would run out."""
    ops.cli("plans", "add", "exact-4000", "--credits", "4000")
    add_tenant(ops, "shop-k", tmp_path / "shop-k", 4000, plan="exact-4000")
    with session_factory(ops.shop_url)() as session:
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == "shop-k")).one()
    statement, values = template_gate(tenant_id, product_rows(2000)[-1][3])  # batch 20 of 40 waits
    with held(ops.shop_url, statement, **values) as lock:
        killed = trigger("shop-k")
        waiting = wait_until(lambda: blocked_by(lock), timeout=RUN_TIMEOUT, what="the run to reach batch 20")
        with get_client(sync_client=True) as client:
            pid = client.read_flow_run(killed.id).infrastructure_pid
        assert pid and slots_taken("shop-k") == 1
        os.kill(int(pid.split(":")[-1]), signal.SIGKILL)  # the run's process dies as with its machine
        lock.rollback()
        wait_until(lambda: gone(lock, waiting), timeout=60, what="the dead run's connection to close")
    killed_at = time.monotonic()
    assert wait_final(killed.id).state.is_crashed()  # type: ignore[union-attr]
    while slots_taken("shop-k") and time.monotonic() - killed_at < 120:
        time.sleep(1)
    ops.timings["slot back after kill (s)"] = time.monotonic() - killed_at
    assert slots_taken("shop-k") == 0
    partial = stored_variants(ops, "shop-k")
    assert 0 < partial < 4000

    # No one retries it by hand: its import recorded no end, so the next dispatch finds it due.
    resumed = wait_final(dispatch_syncs()["shop-k"].id)
    assert resumed.state is not None and resumed.state.is_completed(), resumed.state
    assert stored_variants(ops, "shop-k") == 4000
    usage = Ledger(session_factory(ops.shop_url)).usage(tenant_id)
    assert (usage.credits_reserved, usage.processes_reserved) == (0, 0)
    assert (usage.credits_used, usage.processes_used) == (4000, 4000)  # every write counted once
    with session_factory(ops.shop_url)() as session:
        states = session.scalars(select(Reservation.state).where(Reservation.tenant_id == tenant_id)).all()
    assert "abandoned" in states and "expired" not in states  # given back by the rerun, not by time
