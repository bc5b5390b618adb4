"""The console's JSON API over real Postgres, through FastAPI's test client: every endpoint, a
tenant's token kept to its own tenant (403), ops seeing all, bad input answered 422 in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quotas.ledger import Ledger
from quotas.report import quota_report
from shop.models import AuditEntry, ConsoleToken, Order, ProductVariant, Tenant
from tests.cli_helpers import invoke
from tests.console_helpers import OPS, token_for
from tests.db import session_factory, unit_of_work
from tests.integration.test_quarantine_cli import first_sync, map_price_to_importe, new_tenant, records


@pytest.fixture
def two(pg_url: str, make_tenant: Any) -> dict[str, Any]:
    """Two tenants, each with its token."""
    (a_id, a), (b_id, b) = make_tenant(), make_tenant()
    return {
        "a": a,
        "a_id": a_id,
        "a_token": token_for(pg_url, a_id),
        "b": b,
        "b_id": b_id,
        "b_token": token_for(pg_url, b_id),
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit(url: str, tenant_id: int) -> list[AuditEntry]:
    with session_factory(url)() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.id))
        )


def test_health_needs_no_token_and_the_schema_and_docs_need_the_ops_token(client: TestClient, two: dict) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    for path in ("/openapi.json", "/docs"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bearer(two["a_token"])).status_code == 403
    assert client.get("/redoc").status_code == 404
    paths = client.get("/openapi.json", headers=bearer(OPS)).json()["paths"]
    assert {
        "/api/me",
        "/api/tenants",
        "/api/tenants/{slug}",
        "/api/tenants/{slug}/settings",
        "/api/tenants/{slug}/plan-requests",
        "/api/tenants/{slug}/quarantine/retry",
        "/api/tenants/{slug}/changes",
    } <= set(paths)
    assert "/tenants/{slug}" not in paths  # the page is not part of the API
    assert "swagger" in client.get("/docs", headers=bearer(OPS)).text.lower()


def test_tokens_are_stored_hashed_and_identify_their_tenant(client: TestClient, pg_url: str, two: dict) -> None:
    with session_factory(pg_url)() as session:
        stored = session.scalars(select(ConsoleToken.digest).where(ConsoleToken.tenant_id == two["a_id"])).one()
    assert stored != two["a_token"] and len(stored) == 64 and two["a_token"] not in stored
    assert client.get("/api/me", headers=bearer(two["a_token"])).json() == {"actor": "tenant", "tenant": two["a"]}
    assert client.get("/api/me", headers=bearer(OPS)).json() == {"actor": "ops", "tenant": None}

    missing = client.get("/api/me")
    assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
    assert client.get("/api/me", headers=bearer("not-a-token")).status_code == 401

    rotated = token_for(pg_url, two["a_id"])  # the old token stops working at once
    assert client.get("/api/me", headers=bearer(two["a_token"])).status_code == 401
    assert client.get("/api/me", headers=bearer(rotated)).json()["tenant"] == two["a"]


def test_a_tenant_lists_only_itself_and_ops_list_everyone(client: TestClient, two: dict) -> None:
    mine = client.get("/api/tenants", headers=bearer(two["a_token"])).json()
    assert [t["tenant"] for t in mine] == [two["a"]]
    everyone = {t["tenant"] for t in client.get("/api/tenants", headers=bearer(OPS)).json()}
    assert {two["a"], two["b"]} <= everyone


def test_the_overview_is_the_quota_report_and_is_kept_to_its_tenant(client: TestClient, pg_url: str, two: dict) -> None:
    body = client.get(f"/api/tenants/{two['a']}", headers=bearer(two["a_token"])).json()
    sessions = session_factory(pg_url)
    expected = quota_report(sessions, Ledger(sessions), two["a_id"]).to_json()
    assert body["quota"] == json.loads(json.dumps(expected, default=str))
    assert (body["plan"]["name"], body["next_plan"]["name"], body["next_plan"]["monthly_price_eur"]) == (
        "starter",
        "basic",
        "89.00",
    )
    assert len(body["daily"]["days"]) in (28, 29, 30, 31) and body["settings"]["entities"] == ["products"]

    other = client.get(f"/api/tenants/{two['b']}", headers=bearer(two["a_token"]))
    assert other.status_code == 403 and other.json()["detail"] == f"this token may only use tenant '{two['a']}'"
    assert client.get("/api/tenants/nobody-at-all", headers=bearer(two["a_token"])).status_code == 403  # no probing
    assert client.get(f"/api/tenants/{two['b']}", headers=bearer(OPS)).json()["tenant"] == two["b"]
    unknown = client.get("/api/tenants/nobody-at-all", headers=bearer(OPS))
    assert unknown.status_code == 404 and "unknown tenant 'nobody-at-all'" in unknown.json()["detail"]


def test_no_erp_secret_is_ever_shown(client: TestClient, pg_url: str, two: dict) -> None:
    with unit_of_work(pg_url) as session:
        tenant = session.get_one(Tenant, two["a_id"])
        tenant.erp_options = {"path": "/srv/drop", "api_key": "sk-live-123", "db": {"password": "hunter2"}}
        tenant.erp_secret_name = "ACME_ERP_PASSWORD"
    body = client.get(f"/api/tenants/{two['a']}", headers=bearer(two["a_token"]))
    page = client.get(f"/tenants/{two['a']}", headers=bearer(two["a_token"]))
    for text in (body.text, page.text):
        assert "sk-live-123" not in text and "hunter2" not in text and "ACME_ERP_PASSWORD" not in text
    assert body.json()["erp_options"] == {"path": "/srv/drop", "db": {}}


def test_settings_change_is_applied_recorded_and_kept_to_its_tenant(client: TestClient, pg_url: str, two: dict) -> None:
    change = {"entities": ["products", "stock"], "schedules": {"stock": 15}, "priorities": ["stock"]}
    answer = client.patch(f"/api/tenants/{two['a']}/settings", json=change, headers=bearer(two["a_token"]))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["entities"], answer.json()["schedules"]) == (["products", "stock"], {"stock": 15})
    with session_factory(pg_url)() as session:
        tenant = session.get_one(Tenant, two["a_id"])
        assert (tenant.entities, tenant.schedules, tenant.priorities) == (
            ["products", "stock"],
            {"stock": 15},
            ["stock"],
        )
    [entry] = audit(pg_url, two["a_id"])
    assert (entry.actor, entry.action) == ("tenant", "settings")
    assert entry.details["entities"] == {"from": ["products"], "to": ["products", "stock"]}

    back = client.patch(f"/api/tenants/{two['a']}/settings", json={"schedules": {"stock": None}}, headers=bearer(OPS))
    assert back.json()["schedules"] == {}
    assert [(e.actor, list(e.details)) for e in audit(pg_url, two["a_id"])][-1] == ("ops", ["schedules"])

    foreign = client.patch(f"/api/tenants/{two['b']}/settings", json={"entities": []}, headers=bearer(two["a_token"]))
    assert foreign.status_code == 403
    with session_factory(pg_url)() as session:
        assert session.get_one(Tenant, two["b_id"]).entities == ["products"]
    assert audit(pg_url, two["b_id"]) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"entities": ["products", "orders"]}, "unknown entity 'orders'"),
        ({"schedules": {"stock": 0}}, "the schedule of stock must be 1 to 44,640 minutes, got 0"),
        ({"schedules": {"widgets": 5}}, "unknown entity 'widgets'"),
        ({"entities": "products"}, "body.entities: Input should be a valid list"),
        ({"schedules": {"stock": "often"}}, "body.schedules.stock: Input should be a valid integer"),
    ],
)
def test_bad_settings_are_422_with_one_clear_line(
    client: TestClient, pg_url: str, two: dict, body: dict, message: str
) -> None:
    answer = client.patch(f"/api/tenants/{two['a']}/settings", json=body, headers=bearer(two["a_token"]))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(message), answer.json()
    assert audit(pg_url, two["a_id"]) == []  # nothing applied, nothing recorded


def test_a_plan_change_is_requested_not_applied(client: TestClient, pg_url: str, two: dict) -> None:
    answer = client.post(
        f"/api/tenants/{two['a']}/plan-requests", json={"plan": "business"}, headers=bearer(two["a_token"])
    )
    assert answer.status_code == 201
    assert answer.json() == {"from": "starter", "to": "business", "state": "requested"}
    changes = client.get(f"/api/tenants/{two['a']}/changes", headers=bearer(two["a_token"])).json()
    assert [(c["actor"], c["action"], c["details"]["to"]) for c in changes] == [("tenant", "plan_request", "business")]
    overview = client.get(f"/api/tenants/{two['a']}", headers=bearer(two["a_token"])).json()
    assert (overview["plan"]["name"], overview["plan_requested"]) == ("starter", "business")

    for body, message in [
        ({"plan": "platinum"}, "unknown plan 'platinum'"),
        ({"plan": "starter"}, f"tenant '{two['a']}' is already on plan 'starter'"),
        ({}, "body.plan: Field required"),
    ]:
        bad = client.post(f"/api/tenants/{two['a']}/plan-requests", json=body, headers=bearer(two["a_token"]))
        assert (bad.status_code, bad.json()["detail"].startswith(message)) == (422, True), bad.json()
    foreign = client.post(
        f"/api/tenants/{two['b']}/plan-requests", json={"plan": "business"}, headers=bearer(two["a_token"])
    )
    assert foreign.status_code == 403
    assert client.get(f"/api/tenants/{two['b']}/changes", headers=bearer(two["a_token"])).status_code == 403
    assert audit(pg_url, two["b_id"]) == []

    invoke(pg_url, f"tenant set-plan {two['a']} business")  # ops apply it
    assert client.get(f"/api/tenants/{two['a']}", headers=bearer(OPS)).json()["plan_requested"] is None


def test_retry_loads_a_fixed_record_and_refuses_other_tenants_records(
    client: TestClient, pg_url: str, tmp_path: Path
) -> None:
    tenant_id, slug = new_tenant(pg_url, tmp_path / "a")
    other_id, other = new_tenant(pg_url, tmp_path / "b")
    first_sync(pg_url, tenant_id, slug)
    first_sync(pg_url, other_id, other)
    token = token_for(pg_url, tenant_id)
    map_price_to_importe(pg_url, tenant_id)
    mine, theirs = records(pg_url, tenant_id)["A-2"], records(pg_url, other_id)["A-2"]

    answer = client.post(f"/api/tenants/{slug}/quarantine/retry", json={"ids": [mine.id]}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    [summary] = answer.json()
    assert (summary["entity"], summary["loaded"], summary["processes"], summary["credits"]) == ("products", 1, 1, 1)
    with session_factory(pg_url)() as session:
        price = session.scalars(
            select(ProductVariant.price).where(ProductVariant.tenant_id == tenant_id, ProductVariant.sku == "A-2")
        ).one()
    assert price == 25.5
    assert records(pg_url, tenant_id)["A-2"].resolved_at is not None
    assert audit(pg_url, tenant_id)[-1].action == "quarantine_retry"

    foreign = client.post(f"/api/tenants/{slug}/quarantine/retry", json={"ids": [theirs.id]}, headers=bearer(token))
    assert (foreign.status_code, foreign.json()["detail"]) == (
        404,
        f"tenant '{slug}' has no quarantined record {theirs.id}",
    )
    other_slug = client.post(f"/api/tenants/{other}/quarantine/retry", json={"ids": [theirs.id]}, headers=bearer(token))
    assert other_slug.status_code == 403
    assert records(pg_url, other_id)["A-2"].resolved_at is None
    empty = client.post(f"/api/tenants/{slug}/quarantine/retry", json={"ids": []}, headers=bearer(token))
    assert (empty.status_code, empty.json()["detail"]) == (
        422,
        "body.ids: List should have at least 1 item after validation, not 0",
    )


def test_the_cli_issues_a_token_once_and_records_it(pg_url: str, make_tenant: Any, client: TestClient) -> None:
    tenant_id, slug = make_tenant()
    result = invoke(pg_url, f"console token {slug}")
    token = result.stdout.strip()
    assert len(token) >= 40 and "shown once" in result.stderr
    assert client.get("/api/me", headers=bearer(token)).json()["tenant"] == slug
    invoke(pg_url, f"console token {slug}")  # replaced: the first one stops working
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    assert [(e.actor, e.action, e.details) for e in audit(pg_url, tenant_id)] == [
        ("cli", "token", {"replaced": False}),
        ("cli", "token", {"replaced": True}),
    ]
    assert "unknown tenant 'nobody'" in invoke(pg_url, "console token nobody", expect=1).stderr


def test_orders_waiting_or_failed_are_listed_and_sent_ones_are_not(client: TestClient, pg_url: str, two: dict) -> None:
    with unit_of_work(pg_url) as session:
        for number, state, error in [
            ("W-1", "pending", None),
            ("W-2", "failed", "ERP said: customer C9 is blocked"),
            ("W-3", "sent", None),
            ("W-4", "sending", None),  # in flight
        ]:
            session.add(
                Order(
                    tenant_id=two["a_id"],
                    number=number,
                    customer_code="C1",
                    export_state=state,
                    export_error=error,
                    export_attempts=3 if error else 0,
                )
            )
        session.add(Order(tenant_id=two["b_id"], number="X-1", customer_code="C1", export_state="failed"))
    orders = client.get(f"/api/tenants/{two['a']}", headers=bearer(two["a_token"])).json()["orders"]
    assert [(o["number"], o["export_state"], o["export_attempts"]) for o in orders] == [
        ("W-1", "pending", 0),
        ("W-2", "failed", 3),
        ("W-4", "sending", 0),
    ]
    assert orders[1]["export_error"] == "ERP said: customer C9 is blocked"
