"""The 80/90/100 % alerts on their way to the shop owner.

The ledger records each alert once per period, kind and threshold. Each one is then sent to the
owner at most once: a sender claims it (``sent_at`` set) before sending, and gives it back if the
send fails, so the next run tries again. Two runs of one tenant finishing at the same moment (its
groups import side by side) cannot both send it. Only the current period's alerts are sent: a
warning about a month that is over would only confuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from quotas.periods import period_for
from shop.models import Alert, Tenant, now_utc


@dataclass(frozen=True)
class OwnerAlert:
    id: int
    subject: str
    text: str


def unsent_alerts(session: Session, tenant: Tenant) -> list[OwnerAlert]:
    """The alerts of the tenant's current period not yet sent to its owner, oldest first."""
    period = period_for(now_utc(), tenant.timezone).key
    rows = session.scalars(
        select(Alert)
        .where(Alert.tenant_id == tenant.id, Alert.period == period, Alert.sent_at.is_(None))
        .order_by(Alert.id)
    )
    return [OwnerAlert(alert.id, *alert_message(tenant.slug, alert)) for alert in rows]


def alert_message(tenant: str, alert: Alert) -> tuple[str, str]:
    """The subject and text the owner reads, in the words of the ops notification."""
    return (
        f"erp-sync: {tenant} at {alert.threshold} % of its {alert.kind}",
        f"{alert.used:,}/{alert.limit:,} {alert.kind} used in period {alert.period}.",
    )


def claim_alert(session: Session, alert_id: int) -> bool:
    """Mark the alert sent; False when another sender already did."""
    claimed: CursorResult[tuple[()]] = session.execute(  # type: ignore[assignment]
        update(Alert).where(Alert.id == alert_id, Alert.sent_at.is_(None)).values(sent_at=now_utc())
    )
    return claimed.rowcount == 1


def release_alert(session: Session, alert_id: int) -> None:
    """The send failed: the alert waits for the next run."""
    session.execute(update(Alert).where(Alert.id == alert_id).values(sent_at=None))
