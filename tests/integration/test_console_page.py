"""The console's page through FastAPI's test client on real Postgres: signing in (form, ?token=,
signed cookie), a tenant kept to its own page, and the forms that change settings, request a
plan and retry a quarantined record, each recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from console.auth import COOKIE
from shop.models import AuditEntry, Tenant
from tests.console_helpers import OPS, post_form, signed_in, token_for
from tests.db import session_factory
from tests.integration.test_quarantine_cli import first_sync, map_price_to_importe, new_tenant, records


def actions(url: str, tenant_id: int) -> list[str]:
    with session_factory(url)() as session:
        query = select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_sign_in_with_the_form_shows_the_tenants_page(client: TestClient, pg_url: str, make_tenant: Any) -> None:
    tenant_id, slug = make_tenant()
    token = token_for(pg_url, tenant_id)
    assert 'name="token"' in client.get("/").text
    wrong = post_form(client, "/login", {"token": "nope"})
    assert wrong.status_code == 401 and "not valid" in wrong.text

    signed_in(client, token)
    assert token not in client.cookies[COOKIE]  # the cookie holds a signed digest, not the token
    page = client.get("/")  # a tenant lands on its own page
    assert page.url.path == f"/tenants/{slug}"
    assert 'data-testid="credits-max">1,000<' in page.text and 'data-testid="daily-chart"' in page.text
    assert "Next plan up: <strong>basic</strong>" in page.text

    post_form(client, "/logout")
    assert client.get(f"/tenants/{slug}", follow_redirects=False).headers["location"] == "/"


def test_token_in_the_address_becomes_a_cookie_and_leaves_the_address(
    client: TestClient, pg_url: str, make_tenant: Any
) -> None:
    tenant_id, slug = make_tenant()
    token = token_for(pg_url, tenant_id)
    first = client.get(f"/tenants/{slug}?token={token}&notice=hi", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, f"/tenants/{slug}?notice=hi")
    assert 'data-testid="notice">hi<' in client.get(first.headers["location"]).text

    wrong = client.get(f"/tenants/{slug}?token=not-{token}", follow_redirects=False)
    assert wrong.status_code == 401 and "That token is not valid" in wrong.text

    forged = client.cookies[COOKIE].split(".")[0] + ".0000"
    client.cookies.set(COOKIE, forged)
    assert client.get(f"/tenants/{slug}", follow_redirects=False).status_code == 303  # back to sign-in


def test_a_tenant_cannot_open_or_change_another_tenants_page(client: TestClient, pg_url: str, make_tenant: Any) -> None:
    (a_id, _), (b_id, b) = make_tenant(), make_tenant()
    signed_in(client, token_for(pg_url, a_id))
    page = client.get(f"/tenants/{b}")
    assert page.status_code == 403 and "this token may only use tenant" in page.text
    change = post_form(client, f"/tenants/{b}/settings", {"entities": ["stock"]})
    assert change.status_code == 403 and "this token may only use tenant" in change.text
    plan = post_form(client, f"/tenants/{b}/plan-request", {"plan": "basic"})
    assert plan.status_code == 403 and "this token may only use tenant" in plan.text
    with session_factory(pg_url)() as session:
        assert session.get_one(Tenant, b_id).entities == ["products"]
    assert actions(pg_url, b_id) == []

    signed_in(client, OPS)  # ops see the list and every page
    assert b in client.get("/").text and client.get(f"/tenants/{b}").status_code == 200


def test_the_settings_and_plan_forms_apply_and_record(client: TestClient, pg_url: str, make_tenant: Any) -> None:
    tenant_id, slug = make_tenant()
    signed_in(client, token_for(pg_url, tenant_id))
    form = {"entities": ["products", "stock"], "every_stock": "15", "every_products": "", "priorities": "stock"}
    saved = post_form(client, f"/tenants/{slug}/settings", form)
    assert "saved: entities, schedules, priorities" in saved.text
    assert 'value="stock" data-testid="entity-stock" checked' in saved.text
    with session_factory(pg_url)() as session:
        tenant = session.get_one(Tenant, tenant_id)
        assert (tenant.entities, tenant.schedules, tenant.priorities) == (
            ["products", "stock"],
            {"stock": 15},
            ["stock"],
        )

    bad = post_form(client, f"/tenants/{slug}/settings", {**form, "every_stock": "soon"})
    assert "a schedule is a whole number of minutes, got &#39;soon&#39;" in bad.text

    requested = post_form(client, f"/tenants/{slug}/plan-request", {"plan": "basic"})
    assert "plan basic requested" in requested.text and "· plan starter ·" in requested.text
    assert actions(pg_url, tenant_id) == ["settings", "plan_request"]


def test_the_retry_button_loads_a_fixed_record(client: TestClient, pg_url: str, tmp_path: Path) -> None:
    tenant_id, slug = new_tenant(pg_url, tmp_path)
    first_sync(pg_url, tenant_id, slug)
    map_price_to_importe(pg_url, tenant_id)
    record = records(pg_url, tenant_id)["A-3"]
    signed_in(client, token_for(pg_url, tenant_id))
    assert f'data-testid="retry-{record.id}"' in client.get(f"/tenants/{slug}").text

    page = post_form(client, f"/tenants/{slug}/quarantine/{record.id}/retry")
    assert f"record {record.id}: loaded" in page.text
    assert f'data-testid="retry-{record.id}"' not in page.text
    assert records(pg_url, tenant_id)["A-3"].resolved_at is not None
    assert actions(pg_url, tenant_id) == ["quarantine_retry"]


def test_an_order_volume_plan_shows_orders_against_its_monthly_orders(
    client: TestClient, pg_url: str, make_tenant: Any
) -> None:
    tenant_id, slug = make_tenant(plan="free")
    signed_in(client, token_for(pg_url, tenant_id))
    page = client.get(f"/tenants/{slug}").text
    assert 'data-testid="orders-used">0<' in page and 'data-testid="orders-max">20<' in page
    assert "Next plan up: <strong>orders-100</strong>, 100 orders a month, €19.00/month" in page
    assert "the allowance lasts the whole period" in page  # no order yet: nothing runs out
    assert 'data-testid="credits-max"' not in page  # credits are counted, not sold, on this plan
