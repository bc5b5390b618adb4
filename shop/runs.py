"""The record of each entity import, for reports and the usage console."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from shop.models import SyncRun, now_utc


def record_run(
    session: Session,
    *,
    tenant_id: int,
    entity: str,
    flow_run_id: str | None,
    state: str,
    message: str,
    started_at: dt.datetime,
    counts: dict[str, int],
) -> None:
    session.add(
        SyncRun(
            tenant_id=tenant_id,
            entity=entity,
            flow_run_id=flow_run_id,
            state=state,
            message=message,
            started_at=started_at,
            ended_at=now_utc(),
            **counts,
        )
    )
