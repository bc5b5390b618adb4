"""The audit log: every change to a tenant's configuration, who made it and what it was."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import AuditEntry

ACTORS = ("tenant", "ops", "cli")


def record_change(session: Session, tenant_id: int, actor: str, action: str, details: dict[str, Any]) -> AuditEntry:
    if actor not in ACTORS:
        raise ValueError(f"unknown actor '{actor}'")
    entry = AuditEntry(tenant_id=tenant_id, actor=actor, action=action, details=details)
    session.add(entry)
    session.flush()
    return entry


def recent_changes(session: Session, tenant_id: int, limit: int = 50) -> Sequence[AuditEntry]:
    """The tenant's latest changes, newest first."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    return session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)).all()
