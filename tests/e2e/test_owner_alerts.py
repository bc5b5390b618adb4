"""Quota alerts reach the shop owner through the tenant's Prefect notification block, each once,
and one that could not be sent goes out with a later run. A webhook on loopback receives them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.blocks.core import Block
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from sqlalchemy import select, update

from devkit.samples import write_products
from quotas import PlanTerms
from quotas.periods import period_for
from services.tenants import save_plan
from shop.models import Alert, Tenant, now_utc
from tests.cli_helpers import invoke
from tests.db import session_factory, unit_of_work
from tests.webhook_inbox import WebhookInbox

pytestmark = pytest.mark.usefixtures("prefect_harness", "shop_env")


@pytest.fixture
def inbox() -> Iterator[WebhookInbox]:
    with WebhookInbox().running() as running:
        yield running


def small_tenant(make_tenant: Any, url: str, folder: Path) -> tuple[int, str]:
    """A tenant on a plan of 100 credits, reading its exports from ``folder``."""
    with unit_of_work(url) as session:
        save_plan(session, PlanTerms("alerts-e2e", 100))
    return make_tenant("alerts-e2e", path=str(folder))  # type: ignore[no-any-return]


def sync(slug: str) -> Any:
    from flows.sync_tenant import sync_tenant

    return sync_tenant(tenant=slug, return_state=True)


def sent(url: str, tenant_id: int) -> list[tuple[str, int, bool]]:
    with session_factory(url)() as session:
        rows = session.execute(
            select(Alert.kind, Alert.threshold, Alert.sent_at).where(Alert.tenant_id == tenant_id).order_by(Alert.id)
        )
        return [(kind, threshold, sent_at is not None) for kind, threshold, sent_at in rows]


def test_each_alert_reaches_the_owner_once_even_through_a_failed_send(
    make_tenant: Any, pg_url: str, tmp_path: Path, inbox: WebhookInbox
) -> None:
    tenant_id, slug = small_tenant(make_tenant, pg_url, tmp_path)
    block = f"owner-{slug}"
    # The receiver is on loopback, which a block refuses unless told (SSRF protection).
    CustomWebhookNotificationBlock(
        name=block, url=inbox.url, json_data={"subject": "{{subject}}", "text": "{{body}}"}, allow_private_urls=True
    ).save(block)
    invoke(pg_url, f"tenant set {slug} --alert-block custom-webhook/{block}")

    inbox.status = 500  # the owner's receiver is down during the first run
    write_products(tmp_path, 90, bad_rows=False)
    assert sync(slug).is_completed()
    assert sent(pg_url, tenant_id) == [("credits", 80, False), ("credits", 90, False)]
    assert inbox.received == []

    inbox.status = 200  # the next run, with nothing to import, sends what waited
    assert sync(slug).is_completed()
    assert [alert["subject"] for alert in inbox.received] == [
        f"erp-sync: {slug} at 80 % of its credits",
        f"erp-sync: {slug} at 90 % of its credits",
    ]
    period = period_for(now_utc(), "Europe/Madrid").key
    assert inbox.received[1]["text"] == f"90/100 credits used in period {period}."

    write_products(tmp_path, 120, bad_rows=False)
    assert sync(slug).name == "CreditCeiling"
    assert sync(slug).name == "CreditCeiling"  # held: nothing new to tell
    assert [alert["subject"] for alert in inbox.received][2:] == [f"erp-sync: {slug} at 100 % of its credits"]
    assert sent(pg_url, tenant_id) == [("credits", 80, True), ("credits", 90, True), ("credits", 100, True)]
    report = json.loads(invoke(pg_url, f"quota {slug} --json").stdout)
    assert all(alert["sent_at"] is not None for alert in report["alerts"])  # what the console shows too


def test_alert_settings_are_checked_and_a_url_becomes_the_tenants_block(make_tenant: Any, pg_url: str) -> None:
    _, slug = make_tenant("starter")
    missing = invoke(pg_url, f"tenant set {slug} --alert-block custom-webhook/nobody", expect=1)
    assert "there is no Prefect block 'custom-webhook/nobody'" in missing.stderr
    assert "TYPE/NAME" in invoke(pg_url, f"tenant set {slug} --alert-block nobody", expect=1).stderr
    assert "an http(s) address" in invoke(pg_url, f"tenant set {slug} --alert-url hooks.example.com", expect=1).stderr

    invoke(pg_url, f"tenant set {slug} --alert-url https://hooks.example.com/shop/T0KEN")
    shown = json.loads(invoke(pg_url, f"tenant show {slug}").stdout)
    assert shown["alert_block"] == f"custom-webhook/erp-sync-owner-{slug}"
    block = Block.load(shown["alert_block"])
    assert isinstance(block, CustomWebhookNotificationBlock)
    assert block.url == "https://hooks.example.com/shop/T0KEN"

    invoke(pg_url, f"tenant set {slug} --alert-block ''")
    assert json.loads(invoke(pg_url, f"tenant show {slug}").stdout)["alert_block"] is None


def test_a_block_deleted_in_the_ui_fails_no_run_and_its_alerts_wait(
    make_tenant: Any, pg_url: str, tmp_path: Path
) -> None:
    tenant_id, slug = small_tenant(make_tenant, pg_url, tmp_path)
    with unit_of_work(pg_url) as session:
        session.execute(update(Tenant).where(Tenant.id == tenant_id).values(alert_block="custom-webhook/deleted"))
    write_products(tmp_path, 85, bad_rows=False)
    assert sync(slug).is_completed()
    assert sent(pg_url, tenant_id) == [("credits", 80, False)]
