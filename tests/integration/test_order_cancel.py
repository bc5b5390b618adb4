"""`erp-sync order cancel` on real Postgres: an order the ERP has not got is never sent; one it has
is cancelled there (a CSV drop gets a cancel file, the fake Odoo cancels the sale order), one
process each; an ERP that refuses, an adapter that cannot cancel, and an order being sent right
now are refused in one line, the order left as it was."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from erp_adapters.orders import order_sink
from erp_adapters.registry import create_adapter
from pipeline.send_orders import SendTarget, export_outbox
from shop.models import Order, Tenant, UsageEvent
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.fakes.holded_server import FakeHolded
from tests.fakes.holded_tenant import holded_tenant
from tests.fakes.odoo_server import FakeOdoo
from tests.fakes.odoo_tenant import odoo_tenant

LINE = {"sku": "POL-0001-NEG-S", "quantity": 1, "unit_price": "39.00"}


def place(pg_url: str, slug: str, tmp_path: Path, *numbers: str, customer: str = "C0001") -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    path.write_text(json.dumps([{"number": n, "customer_code": customer, "lines": [LINE]} for n in numbers]))
    invoke(pg_url, f"order add {slug} --from-json {path}")


def export(pg_url: str, slug: str, options: dict[str, object]) -> None:
    """The outbox sent the way the export-orders flow sends it, in this process."""
    sessions = session_factory(pg_url)
    with sessions() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == slug)).one()
        tenant_id, kind = tenant.id, tenant.erp_kind
    result = export_outbox(
        SendTarget(sessions, tenant_id, slug, meters_orders=False), order_sink(create_adapter(kind, options))
    )
    assert not result.stopped, result


def orders(pg_url: str, slug: str) -> dict[str, tuple[str | None, str]]:
    """number → (export state, status)."""
    with session_factory(pg_url)() as session:
        rows = session.execute(
            select(Order.number, Order.export_state, Order.status).join(Tenant).where(Tenant.slug == slug)
        )
        return {number: (state, status) for number, state, status in rows}


def order_processes(pg_url: str, slug: str) -> int:
    with session_factory(pg_url)() as session:
        query = (
            select(func.coalesce(func.sum(UsageEvent.amount), 0))
            .join(Tenant)
            .where(Tenant.slug == slug, UsageEvent.kind == "processes", UsageEvent.entity == "orders")
        )
        return int(session.scalar(query) or 0)


def cancel(pg_url: str, slug: str, number: str, expect: int = 0) -> str:
    return " ".join(invoke(pg_url, f"order cancel {slug} {number}", expect=expect).stderr.split())


def test_a_drop_folder_order_is_withheld_before_sending_and_cancelled_by_file_after(
    pg_url: str, tmp_path: Path
) -> None:
    slug, drop = f"x-{uuid.uuid4().hex[:8]}", tmp_path / "drop"
    drop.mkdir()
    invoke(pg_url, f"tenant add {slug} --plan starter --erp-option path={drop}")
    place(pg_url, slug, tmp_path, "W-1", "W-2")

    assert "cancelled before the ERP had it: it will not be sent" in cancel(pg_url, slug, "W-1")
    export(pg_url, slug, {"path": str(drop)})

    assert sorted(p.name for p in (drop / "orders").iterdir()) == ["W-2.csv"]  # W-1 never went
    assert orders(pg_url, slug) == {"W-1": ("cancelled", "cancelled"), "W-2": ("sent", "new")}
    assert cancel(pg_url, slug, "W-2") == "cancel request W-2.cancel.csv dropped (1 process)"
    assert "already cancelled" in cancel(pg_url, slug, "W-2")

    request = (drop / "orders" / "W-2.cancel.csv").read_text().splitlines()
    assert request[0] == "number;erp_ref;cancelled_at" and request[1].startswith("W-2;W-2;")
    assert orders(pg_url, slug)["W-2"] == ("sent", "cancelled")
    assert order_processes(pg_url, slug) == 2  # W-2 sent, then its cancellation: W-1 cost nothing
    assert "no order W-9" in cancel(pg_url, slug, "W-9", expect=1)


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    fake = FakeOdoo()
    fake.add_partner("C0001")
    fake.add_product("POL-0001-NEG-S")
    with fake.running():
        yield fake


def test_odoo_cancels_the_sale_order_unless_it_was_delivered(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=[], timeout=2)
    place(pg_url, slug, tmp_path, "W-3", "W-4")
    options = {"url": odoo.url, "db": odoo.db, "username": odoo.login, "password": odoo.password, "backoff": 0.01}
    export(pg_url, slug, options)
    odoo.delivered.add("W-4")

    assert cancel(pg_url, slug, "W-3") == "S00001 cancelled in Odoo (1 process)"
    refused = cancel(pg_url, slug, "W-4", expect=1)

    assert [o.state for o in odoo.sale_orders] == ["cancel", "draft"]
    assert "Odoo refused to cancel S00002: You cannot cancel an order that was delivered" in refused
    assert "W-4 stays as it is in the shop" in refused
    assert orders(pg_url, slug) == {"W-3": ("sent", "cancelled"), "W-4": ("sent", "new")}
    assert order_processes(pg_url, slug) == 3  # two sent, one cancelled: the refusal cost nothing


def test_an_order_whose_attempt_may_have_reached_odoo_is_looked_up_before_it_is_cancelled(
    pg_url: str, odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tenant_id, slug = odoo_tenant(pg_url, odoo, monkeypatch, plan="starter", entities=[], timeout=2)
    place(pg_url, slug, tmp_path, "W-5", "W-6")
    options = {"url": odoo.url, "db": odoo.db, "username": odoo.login, "password": odoo.password, "backoff": 0.01}
    export(pg_url, slug, options)
    with unit_of_work(pg_url) as session:  # as after an attempt whose answer was lost: back to pending
        session.execute(
            update(Order)
            .where(Order.tenant_id == tenant_id)
            .values(export_state="pending", export_attempts=1, erp_ref=None)
        )
    odoo.sale_orders = [o for o in odoo.sale_orders if o.client_order_ref == "W-5"]  # W-6 never got there

    assert cancel(pg_url, slug, "W-5") == "S00001 cancelled in Odoo (1 process)"
    assert "cancelled before the ERP had it" in cancel(pg_url, slug, "W-6")
    assert orders(pg_url, slug) == {"W-5": ("sent", "cancelled"), "W-6": ("cancelled", "cancelled")}


def test_an_adapter_that_cannot_cancel_and_an_order_being_sent_are_refused_with_the_reason(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    holded = FakeHolded()
    holded.add_contact("Moda Levante SL", custom_id="C0001")
    with holded.running():
        tenant_id, slug = holded_tenant(pg_url, holded, monkeypatch, plan="starter", entities=[])
        place(pg_url, slug, tmp_path, "W-7", "W-8")
        export(pg_url, slug, {"url": holded.url, "password": holded.api_key})
        [sent_id] = [doc["id"] for doc in holded.documents_where("salesorder", desc="Shop order W-7")]
        with unit_of_work(pg_url) as session:
            session.execute(update(Order).where(Order.tenant_id == tenant_id, Order.number == "W-8").values(
                export_state="sending"))  # fmt: skip

        refused = cancel(pg_url, slug, "W-7", expect=1)
        sending = cancel(pg_url, slug, "W-8", expect=1)

    assert f"in the ERP as {sent_id}, and the holded adapter cannot cancel an order there" in refused
    assert f"cancel {sent_id} in the ERP" in refused
    assert "W-8 is being sent to the ERP right now" in sending
    assert orders(pg_url, slug) == {"W-7": ("sent", "new"), "W-8": ("sending", "new")}
