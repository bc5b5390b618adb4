"""The console against other sites, over real Postgres through FastAPI's test client: redirects stay
on this site, every state change is refused unless it comes from the console's own origin (and,
for the page's forms, carries the CSRF token), the security headers, the schema and explorer kept
to ops, record ids past the column's range refused in one line, and a cookie secret that survives
a restart."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.settings import Settings
from console.app import create_app
from console.auth import COOKIE
from shop.models import AuditEntry, Tenant
from tests.cli_helpers import invoke
from tests.console_helpers import OPS, SAME_ORIGIN, csrf_token, token_for
from tests.db import session_factory

EVIL = {"Origin": "https://evil.example"}
CSRF_COOKIE = "erp_sync_console_csrf"  # the browser's CSRF nonce
SECRET_FILE = "console-cookie-secret"  # under data_dir, when no secret is configured
BIGGEST_ID = 2**63 - 1


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in_by_address(client: TestClient, token: str) -> TestClient:
    """Sign in the way a link does (``?token=``), which needs no form."""
    answer = client.get(f"/?token={token}", follow_redirects=False)
    assert answer.status_code == 303 and COOKIE in answer.cookies
    return client


def tenant_state(url: str, tenant_id: int) -> tuple[list[str], list[str]]:
    with session_factory(url)() as session:
        entities = session.get_one(Tenant, tenant_id).entities
        query = select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id)
        return entities, list(session.scalars(query))


@pytest.fixture
def tenant(pg_url: str, make_tenant: Any) -> dict[str, Any]:
    tenant_id, slug = make_tenant()
    return {"id": tenant_id, "slug": slug, "token": token_for(pg_url, tenant_id)}


# Open redirect ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["//evil.example", "//evil.example/tenants", "/\\evil.example", "/%5C%5Cevil.example"])
def test_a_token_in_the_address_leads_only_to_a_path_of_this_site(client: TestClient, tenant: dict, path: str) -> None:
    answer = client.get(f"http://testserver{path}?token={tenant['token']}&notice=hi", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/?notice=hi")
    assert COOKIE in answer.cookies  # signed in all the same, on this site


# Login CSRF, Origin and the forms' CSRF token ------------------------------------------------


def test_sign_in_is_taken_only_from_the_consoles_own_form(client: TestClient, tenant: dict) -> None:
    token = tenant["token"]
    # Another site's form posting a token (the attacker's own) to sign the visitor in as someone else.
    attack = client.post("/login", data={"token": token}, headers=EVIL, follow_redirects=False)
    assert (attack.status_code, COOKIE in attack.cookies) == (403, False)
    assert "refused: this request comes from https://evil.example, not from this console" in attack.text
    refused = [
        client.post("/login", data={"token": token}, headers=SAME_ORIGIN, follow_redirects=False),
        client.post("/login", data={"token": token, "csrf_token": "0" * 64}, headers=SAME_ORIGIN),
    ]
    assert "reload the page" in refused[0].text
    form = {"token": token, "csrf_token": csrf_token(client)}
    refused += [
        client.post("/login", data=form, headers=EVIL),
        client.post("/login", data=form, headers={"Referer": "https://evil.example/a-page"}),
        client.post("/login", data=form, headers={"Origin": "null"}),
        client.post("/login", data=form),  # neither Origin nor Referer
    ]
    for answer in refused:
        assert answer.status_code == 403, answer.text
        assert COOKIE not in answer.cookies
    assert COOKIE not in client.cookies

    # From the page itself: an Origin (or, without one, a Referer) of this site, and the token.
    signed = client.post("/login", data=form, headers={"Referer": "http://testserver/"}, follow_redirects=False)
    assert signed.status_code == 303 and COOKIE in signed.cookies


def test_a_configured_origin_may_sign_in_from_behind_a_proxy(pg_url: str) -> None:
    settings = Settings(
        database_url=pg_url,
        console_ops_token=OPS,
        console_cookie_secret="c" * 32,
        console_origins=["https://console.example.com/"],
    )
    with TestClient(create_app(settings)) as client:
        form = {"token": OPS, "csrf_token": csrf_token(client)}
        proxied = client.post(
            "/login", data=form, headers={"Origin": "https://console.example.com"}, follow_redirects=False
        )
        assert proxied.status_code == 303 and COOKIE in proxied.cookies
        assert client.post("/login", data=form, headers={"Origin": "https://other.example.com"}).status_code == 403


def test_every_form_of_the_page_needs_this_sites_origin_and_its_csrf_token(
    client: TestClient, pg_url: str, tenant: dict
) -> None:
    signed_in_by_address(client, tenant["token"])
    slug = tenant["slug"]
    forms = [
        (f"/tenants/{slug}/settings", {"entities": ["products", "stock"]}),
        (f"/tenants/{slug}/plan-request", {"plan": "basic"}),
        (f"/tenants/{slug}/quarantine/1/retry", {}),
        ("/logout", {}),
    ]
    for path, data in forms:  # another site's forms, posted with the visitor's cookie
        attack = client.post(path, data=data, headers=EVIL, follow_redirects=False)
        assert attack.status_code == 403, (path, attack.text)
    assert tenant_state(pg_url, tenant["id"]) == (["products"], [])

    session = client.cookies[COOKIE]
    client.cookies.delete(COOKIE)
    before = csrf_token(client)  # the sign-in page's token, bound to no sign-in
    client.cookies.set(COOKIE, session)
    for path, data in forms:
        for sent, headers, why in [
            (None, SAME_ORIGIN, "reload the page"),
            ("0" * 64, SAME_ORIGIN, "reload the page"),
            (before, SAME_ORIGIN, "reload the page"),  # a token of before the sign-in
            (csrf_token(client), EVIL, "refused: this request comes from https://evil.example"),
            (csrf_token(client), {}, "must carry an Origin or Referer header"),
        ]:
            body = data if sent is None else {**data, "csrf_token": sent}
            answer = client.post(path, data=body, headers=headers, follow_redirects=False)
            assert (answer.status_code, why in answer.text) == (403, True), (path, headers, answer.text)
    assert tenant_state(pg_url, tenant["id"]) == (["products"], [])  # nothing changed, nothing recorded
    assert client.get("/api/me").json()["tenant"] == slug  # and the sign-out was refused too

    # Another browser's nonce cookie makes this page's token worthless.
    token = csrf_token(client)
    client.cookies.delete(CSRF_COOKIE)
    client.cookies.set(CSRF_COOKIE, "a" * 64)
    stale = client.post(
        f"/tenants/{slug}/plan-request", data={"plan": "basic", "csrf_token": token}, headers=SAME_ORIGIN
    )
    assert stale.status_code == 403

    done = client.post(
        f"/tenants/{slug}/plan-request", data={"plan": "basic", "csrf_token": csrf_token(client)}, headers=SAME_ORIGIN
    )
    assert done.status_code == 200 and "plan basic requested" in done.text


def test_the_api_refuses_a_cookie_call_from_another_site_but_not_a_bearer_call(
    client: TestClient, pg_url: str, tenant: dict
) -> None:
    signed_in_by_address(client, tenant["token"])
    path, change = f"/api/tenants/{tenant['slug']}/settings", {"entities": ["products", "stock"]}
    for headers in (EVIL, {"Referer": "https://evil.example/page"}, {"Origin": "null"}, {}):
        refused = client.patch(path, json=change, headers=headers)
        assert refused.status_code == 403 and refused.json()["detail"].startswith("refused: "), refused.text
        refused = client.post(f"/api/tenants/{tenant['slug']}/plan-requests", json={"plan": "basic"}, headers=headers)
        assert refused.status_code == 403
    assert tenant_state(pg_url, tenant["id"]) == (["products"], [])

    same_site = client.patch(path, json=change, headers={"Referer": f"http://testserver/tenants/{tenant['slug']}"})
    assert same_site.status_code == 200 and same_site.json()["entities"] == ["products", "stock"]
    client.cookies.clear()
    # A Bearer header is the proof: no other site can make a browser send it, so no Origin is asked.
    back = client.patch(path, json={"entities": ["products"]}, headers={**bearer(tenant["token"]), **EVIL})
    assert back.status_code == 200 and back.json()["entities"] == ["products"]


# Ids past the column's range ----------------------------------------------------------------


def test_ids_past_the_columns_range_are_422_in_the_api_and_a_message_on_the_page(
    client: TestClient, tenant: dict
) -> None:
    slug, path = tenant["slug"], f"/api/tenants/{tenant['slug']}/quarantine/retry"
    for bad in (99999999999999999999, BIGGEST_ID + 1, 0, -1):
        answer = client.post(path, json={"ids": [7, bad]}, headers=bearer(tenant["token"]))
        assert (answer.status_code, answer.json()["detail"]) == (
            422,
            f"no quarantined record has id {bad}: record ids run from 1 to {BIGGEST_ID}",
        )
    biggest = client.post(path, json={"ids": [BIGGEST_ID]}, headers=bearer(tenant["token"]))
    assert (biggest.status_code, biggest.json()["detail"]) == (
        404,
        f"tenant '{slug}' has no quarantined record {BIGGEST_ID}",
    )

    signed_in_by_address(client, tenant["token"])
    page = client.post(
        f"/tenants/{slug}/quarantine/99999999999999999999/retry",
        data={"csrf_token": csrf_token(client)},
        headers=SAME_ORIGIN,
    )
    assert page.status_code == 200
    assert (
        f'data-testid="error">no quarantined record has id 99999999999999999999: record ids run from 1 to {BIGGEST_ID}<'
        in page.text
    )


@pytest.mark.parametrize("bad", ["99999999999999999999", "0"])
def test_the_cli_refuses_an_id_past_the_columns_range_in_one_line(pg_url: str, tenant: dict, bad: str) -> None:
    result = invoke(pg_url, f"quarantine retry {tenant['slug']} --id 3 --id {bad}", expect=1)
    assert result.stderr.strip() == f"error: no quarantined record has id {bad}: record ids run from 1 to {BIGGEST_ID}"
    assert result.exception is None or isinstance(result.exception, SystemExit)


# The schema and the explorer ----------------------------------------------------------------


def test_ops_signed_in_on_the_page_reach_the_explorer_under_its_own_policy(client: TestClient, tenant: dict) -> None:
    for path in ("/docs", "/openapi.json"):
        assert client.get(path).status_code == 401
    signed_in_by_address(client, tenant["token"])
    assert client.get("/docs").status_code == 403  # a tenant's sign-in is not enough

    signed_in_by_address(client, OPS)
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in docs.text and "<script>" not in docs.text
    assert "frame-ancestors 'none'" in policy and docs.headers["x-frame-options"] == "DENY"
    assert "/api/tenants/{slug}/quarantine/retry" in client.get("/openapi.json").json()["paths"]


# Headers ------------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers_and_the_page_needs_nothing_inline(
    client: TestClient, tenant: dict
) -> None:
    login = client.get("/")
    signed_in_by_address(client, tenant["token"])
    answers = [
        login,
        client.get(f"/tenants/{tenant['slug']}"),
        client.get("/api/me"),
        client.get("/api/me", headers=bearer("wrong")),
        client.get("/health"),
        client.get("/nowhere"),
        client.get("/console.css"),
        client.post("/logout", headers=EVIL),
    ]
    for answer in answers:
        policy = answer.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, answer.request.url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    for page in answers[:2]:
        assert "<style" not in page.text and "style=" not in page.text and "<script" not in page.text
        assert 'rel="stylesheet" href="/console.css?v=' in page.text
    sheet = client.get("/console.css")
    assert sheet.headers["content-type"].startswith("text/css") and ".bar rect" in sheet.text


# The cookie secret --------------------------------------------------------------------------


def test_without_a_configured_secret_sign_ins_survive_a_restart(pg_url: str, tenant: dict, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(database_url=pg_url, data_dir=data_dir, console_cookie_secret=None)
    with TestClient(create_app(settings)) as first:
        cookie = signed_in_by_address(first, tenant["token"]).cookies[COOKIE]
    with TestClient(create_app(settings)) as restarted:
        restarted.cookies.set(COOKIE, cookie)
        assert restarted.get("/api/me").json() == {"actor": "tenant", "tenant": tenant["slug"]}
    secret = data_dir / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(secret.read_text().strip()) == 64

    other = tmp_path / "other"  # a configured secret is used as it is: no file
    create_app(Settings(database_url=pg_url, data_dir=other, console_cookie_secret="s" * 32))
    assert not (other / SECRET_FILE).exists()


def test_the_kept_secret_is_made_once_and_kept_to_its_owner(tmp_path: Path) -> None:
    from console.security import stored_cookie_secret

    first = stored_cookie_secret(tmp_path)
    assert stored_cookie_secret(tmp_path) == first and len(first) == 64
    (tmp_path / SECRET_FILE).chmod(0o644)
    assert stored_cookie_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [SECRET_FILE]  # no draft left behind
