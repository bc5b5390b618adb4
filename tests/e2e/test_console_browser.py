"""The usage console in headless Chromium: a tenant synced from sample exports by the real flows,
its page opened with its token, the figures checked against `erp-sync quota --json`, the chart
against the ledger, and an entity switched off through the form and found off in the database.
A screenshot of the page is kept under .erp-sync/artifacts/."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.settings import Settings
from console.app import create_app
from devkit.loopback import free_port
from devkit.samples import write_customers, write_products, write_sales_reps, write_stock
from shop.models import AuditEntry, Tenant
from tests.cli_helpers import invoke
from tests.console_helpers import token_for
from tests.db import session_factory
from tests.e2e.test_customers_flow import sync, tenant

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / ".erp-sync" / "artifacts"
# No background networking: this machine's closed network refuses Chromium's own calls home.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2200",
)


@pytest.fixture
def console_url(pg_url: str) -> Iterator[str]:
    """The console served by uvicorn on a free loopback port, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(create_app(Settings(database_url=pg_url)), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail(f"the console did not answer on {url}/health within 30 s")
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium and ChromeDriver are missing: `make browser` installs Debian's chromium packages")
    options = Options()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # to see what the CSP refuses
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def console_header(url: str, name: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.headers[name])  # by any case


def number(driver: webdriver.Chrome, testid: str) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]').text.replace(",", ""))


def test_the_page_shows_the_ledgers_figures_and_saves_a_switch(
    pg_url: str, tmp_path: Path, console_url: str, browser: webdriver.Chrome
) -> None:
    drop = tmp_path / "drop"  # the tenant's stored files, away from the browser's profile
    drop.mkdir()
    write_products(drop, 60)
    write_stock(drop, 60)
    write_customers(drop, 20)
    write_sales_reps(drop, 3)
    tenant_id, slug = tenant(pg_url, drop, ["products", "stock", "customers", "sales_reps"])
    sync(slug)
    token = token_for(pg_url, tenant_id)

    started = time.monotonic()
    browser.get(f"{console_url}/tenants/{slug}?token={token}")
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="credits-used"]'))
    print(f"\npage opened and rendered in {time.monotonic() - started:.2f} s")
    assert token not in browser.current_url  # the token became a cookie and left the address
    quota = json.loads(invoke(pg_url, f"quota {slug} --json").stdout)

    assert number(browser, "credits-used") == quota["credits_used"] == 60 + 20 + 20 + 3
    assert number(browser, "credits-max") == quota["credits_max"] == 1_000
    assert number(browser, "processes-used") == quota["processes_used"] == 60 + 120 + 20 + 20 + 3
    assert number(browser, "processes-allowance") == quota["processes_allowance"]
    storage = browser.find_element(By.CSS_SELECTOR, '[data-testid="storage-used"]')
    assert int(storage.get_attribute("data-bytes") or 0) == quota["storage"]["total_bytes"] > 0
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="forecast"]').text.startswith(
        quota["forecast"]["sentence"]
    )
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="status"]').text == quota["status"]
    # The chart: every segment's tooltip names an entity and its processes that day; all of them
    # together are the period's processes, and each entity's add up to the quota's breakdown.
    titles = [t.get_attribute("textContent") or "" for t in browser.find_elements(By.CSS_SELECTOR, "svg rect title")]
    per_entity: dict[str, int] = {}
    for title in titles:
        entity, amount = re.fullmatch(r"\d+ \w+ · (\w+): ([\d,]+)", title).groups()  # type: ignore[union-attr]
        per_entity[entity] = per_entity.get(entity, 0) + int(amount.replace(",", ""))
    assert per_entity == quota["process_breakdown"]

    # Served under its Content-Security-Policy, the page keeps its style (from /console.css, as
    # nothing is inline) and the browser refuses nothing on it.
    assert "frame-ancestors 'none'" in console_header(f"{console_url}/health", "Content-Security-Policy")
    header = browser.find_element(By.CSS_SELECTOR, "header")
    assert header.value_of_css_property("background-color") == "rgba(29, 39, 51, 1)"
    bar = browser.find_element(By.CSS_SELECTOR, '[data-testid="credits-bar"] rect')
    assert bar.get_attribute("width") == str(round(100 * quota["credits_used"] / quota["credits_max"]))
    assert bar.value_of_css_property("fill") == "rgb(47, 111, 176)"
    refused = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "console-page.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 10_000

    stock = browser.find_element(By.CSS_SELECTOR, '[data-testid="entity-stock"]')
    assert stock.is_selected()
    stock.click()
    browser.find_element(By.CSS_SELECTOR, '[data-testid="save-settings"]').click()
    notice = WebDriverWait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="notice"]'))
    assert notice.text == "saved: entities"
    assert not browser.find_element(By.CSS_SELECTOR, '[data-testid="entity-stock"]').is_selected()
    # The form went through the Origin check and carried the page's CSRF token.
    assert browser.find_element(By.CSS_SELECTOR, '[data-testid="settings"] input[name="csrf_token"]')
    with session_factory(pg_url)() as session:
        assert sorted(session.get_one(Tenant, tenant_id).entities) == ["customers", "products", "sales_reps"]
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)).one()
    assert (entry.actor, entry.action, sorted(entry.details["entities"]["to"])) == (
        "tenant",
        "settings",
        ["customers", "products", "sales_reps"],
    )
