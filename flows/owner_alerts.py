"""Warn the shop owner: the quota alerts not yet sent go out through the tenant's own Prefect
notification block (a webhook, Slack, e-mail…), at the end of each of its runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast
from uuid import UUID

from prefect import get_run_logger
from prefect.blocks.abstract import NotificationBlock
from prefect.blocks.core import Block
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from sqlalchemy.orm import Session, sessionmaker

from records.errors import InvalidInput
from services.owner_alerts import claim_alert, release_alert, unsent_alerts
from shop.db import unit_of_work
from shop.models import Tenant


def warn_owner(sessions: sessionmaker[Session], tenant_id: int) -> int:
    """Send the tenant's unsent alerts of this period; returns how many went out. A send that
    fails leaves the rest for the next run and never fails the run itself."""
    with sessions() as session:
        tenant = session.get_one(Tenant, tenant_id)
        slug, block_ref = tenant.slug, tenant.alert_block
        pending = unsent_alerts(session, tenant) if block_ref else []
    if not block_ref or not pending:
        return 0
    logger = get_run_logger()
    # Any failure here, of any block type, is logged and waits: a warning that does not go out
    # must not fail the run. Only the error's type is logged, as a webhook's error message
    # carries its URL, and so its token.
    try:
        block = Block.load(block_ref)
    except Exception as exc:  # no such block (ValueError), or Prefect's API out of reach
        logger.warning(
            "owner of %s not warned: block %s (%s); %d wait", slug, block_ref, type(exc).__name__, len(pending)
        )
        return 0
    if not isinstance(block, NotificationBlock):
        logger.warning("owner of %s not warned: %s sends no notifications; %d wait", slug, block_ref, len(pending))
        return 0
    sent: list[str] = []
    for alert in pending:
        with unit_of_work(sessions) as session:
            if not claim_alert(session, alert.id):
                continue  # another run of the tenant sent it
        try:
            # NotificationBlock declares notify async; Prefect's blocks dispatch it (async_dispatch)
            # to their sync variant when called, as here, from sync code, so it returns None.
            cast(Callable[..., None], block.notify)(alert.text, subject=alert.subject)
        except Exception as exc:
            with unit_of_work(sessions) as session:
                release_alert(session, alert.id)
            logger.warning(
                "owner of %s not warned through %s (%s); the rest waits", slug, block_ref, type(exc).__name__
            )
            break
        sent.append(alert.subject)
    if sent:
        logger.info("owner of %s warned: %s", slug, "; ".join(sent))
    return len(sent)


def owner_webhook_block(tenant: str, url: str) -> str:
    """Save ``url`` as the tenant's owner webhook block (it receives ``{"subject", "text"}``, like
    the ops webhook) and return the block's reference, ``custom-webhook/erp-sync-owner-<tenant>``."""
    if not url.startswith(("https://", "http://")):
        raise InvalidInput(f"--alert-url takes an http(s) address, got '{url}'")
    name = f"erp-sync-owner-{tenant}"
    save_webhook_block(name, url)
    return f"{CustomWebhookNotificationBlock.get_block_type_slug()}/{name}"


def save_webhook_block(name: str, url: str) -> UUID:
    """Save (or replace) a webhook block that posts ``{"subject", "text"}``: the ops webhook and
    each owner's alike."""
    block = CustomWebhookNotificationBlock(
        name=name,
        url=url,
        json_data={"subject": "{{subject}}", "text": "{{body}}"},
        # Prefect's defaults, spelled out: mypy reads a pydantic Field(None) as a required argument.
        headers=None,
        cookies=None,
    )
    # Called from sync code, save dispatches (async_dispatch) to its sync variant: a UUID, no coroutine.
    return cast(UUID, block.save(name, overwrite=True))


def check_alert_block(reference: str) -> str:
    """The reference of an existing notification block, ``TYPE/NAME`` as in the Prefect UI."""
    if reference.count("/") != 1:
        raise InvalidInput(f"--alert-block takes TYPE/NAME, e.g. slack-webhook/acme-owner, got '{reference}'")
    try:
        block = Block.load(reference)
    except ValueError:
        raise InvalidInput(f"there is no Prefect block '{reference}'") from None
    if not isinstance(block, NotificationBlock):
        raise InvalidInput(f"the Prefect block '{reference}' cannot send notifications")
    return reference
