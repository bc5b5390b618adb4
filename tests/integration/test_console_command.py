"""`erp-sync console` as a real process: it serves the page and the API on the port asked for,
and the token a visitor brings never reaches its output."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from devkit.loopback import free_port
from tests.cli_helpers import invoke

BROWSER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))  # keeps the sign-in cookie


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with BROWSER.open(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_command_serves_the_console_and_logs_no_token(pg_url: str, make_tenant: Any) -> None:
    _, slug = make_tenant()
    token = invoke(pg_url, f"console token {slug}").stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import app; app()", "console", "--port", str(port)],
        env={**os.environ, "ERP_SYNC_DATABASE_URL": pg_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
        while get_or_none(f"{base}/health") != 200:
            assert server.poll() is None and time.monotonic() < deadline, "the console did not start"
            time.sleep(0.2)
        assert get(f"{base}/api/me", token) == (200, f'{{"actor":"tenant","tenant":"{slug}"}}')
        status, page = get(f"{base}/tenants/{slug}?token={token}")  # the token becomes a cookie, then the page
        assert status == 200 and f'data-testid="tenant">{slug} ' in page
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert f"usage console on http://127.0.0.1:{port}/" in output
    assert token not in output


def get_or_none(url: str) -> int | None:
    try:
        return get(url)[0]
    except OSError:
        return None
