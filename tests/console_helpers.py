"""For the console's tests: the ops token the test app is configured with, tenant tokens issued
straight into the database, and signing in and posting the page's forms as a browser does (its
Origin, and the CSRF token the page's forms carry)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from console.auth import COOKIE
from console.tokens import issue_token
from tests.db import unit_of_work

OPS = "ops-token-for-tests"
SAME_ORIGIN = {"Origin": "http://testserver"}  # what a browser sends with a form of the test app's page
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def token_for(url: str, tenant_id: int) -> str:
    with unit_of_work(url) as session:
        return issue_token(session, tenant_id).token


def csrf_token(client: TestClient, page: str = "/") -> str:
    """The CSRF token in the forms of ``page``, as this client's browser would be served it."""
    found = CSRF.search(client.get(page).text)
    assert found, f"no form with a CSRF token on {page}"
    return found.group(1)


def post_form(client: TestClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
    """Post a form of the page the way the browser does: from the page's origin, with its token."""
    headers = {**SAME_ORIGIN, **kwargs.pop("headers", {})}
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, headers=headers, **kwargs)


def signed_in(client: TestClient, token: str) -> TestClient:
    answer = post_form(client, "/login", {"token": token}, follow_redirects=False)
    assert answer.status_code == 303 and COOKIE in answer.cookies
    return client
