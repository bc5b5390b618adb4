"""Records that could not be loaded: kept with their raw payload and the reason, never dropped."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from records.errors import NotFound
from records.quarantine import Quarantined
from shop.bulk import upsert_frame
from shop.models import QuarantinedRecord, now_utc

QUARANTINE: Table = QuarantinedRecord.__table__  # type: ignore[assignment]


def quarantine(
    session: Session, tenant_id: int, entity: str, records: Sequence[Quarantined], flow_run_id: str | None
) -> None:
    """The same bad record seen again updates its row (reason, last seen) instead of piling up,
    and is open again if it had been resolved."""
    if not records:
        return
    now: dt.datetime = now_utc()
    frame = pd.DataFrame(
        {
            "entity": entity,
            "fingerprint": [r.fingerprint for r in records],
            "source_ref": [r.source_ref[:255] for r in records],
            "raw": [json.dumps(r.raw, ensure_ascii=False) for r in records],
            "reason": [r.reason for r in records],
            "flow_run_id": flow_run_id,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
        }
    ).drop_duplicates("fingerprint", keep="last")
    upsert_frame(session, QUARANTINE, tenant_id, frame, key=("entity", "fingerprint"), changed_only=False)


def list_quarantined(
    session: Session, tenant_id: int, entity: str | None = None, include_resolved: bool = False
) -> Sequence[QuarantinedRecord]:
    """The tenant's quarantined records, newest first (last seen, then id)."""
    query = select(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id)
    if entity is not None:
        query = query.where(QuarantinedRecord.entity == entity)
    if not include_resolved:
        query = query.where(QuarantinedRecord.resolved_at.is_(None))
    return session.scalars(query.order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id.desc())).all()


def get_quarantined(session: Session, tenant_id: int, tenant_slug: str, ids: Sequence[int]) -> list[QuarantinedRecord]:
    """The tenant's records with these ids, in the order given; an id that is not the tenant's
    (unknown, or another tenant's) is NotFound, without saying whose it is."""
    wanted = list(dict.fromkeys(ids))
    found = {
        record.id: record
        for record in session.scalars(
            select(QuarantinedRecord).where(QuarantinedRecord.tenant_id == tenant_id, QuarantinedRecord.id.in_(wanted))
        )
    }
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        noun = "record" if len(missing) == 1 else "records"
        raise NotFound(f"tenant '{tenant_slug}' has no quarantined {noun} {', '.join(missing)}")
    return [found[i] for i in wanted]


def mark_resolved(session: Session, tenant_id: int, ids: Sequence[int]) -> int:
    """Close the tenant's records with these ids (they are in the shop now); returns how many."""
    if not ids:
        return 0
    result = session.execute(
        update(QuarantinedRecord)
        .where(
            QuarantinedRecord.tenant_id == tenant_id,
            QuarantinedRecord.id.in_(list(ids)),
            QuarantinedRecord.resolved_at.is_(None),
        )
        .values(resolved_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def restore_source_refs(session: Session, tenant_id: int, refs: dict[int, str]) -> None:
    """Set the source reference of the tenant's records by id (``{id: "products.csv:17"}``);
    only the rows whose reference differs are written."""
    current = session.execute(
        select(QuarantinedRecord.id, QuarantinedRecord.source_ref).where(
            QuarantinedRecord.tenant_id == tenant_id, QuarantinedRecord.id.in_(list(refs))
        )
    )
    for record_id, source_ref in current.all():
        if source_ref != refs[record_id]:
            session.execute(
                update(QuarantinedRecord)
                .where(QuarantinedRecord.tenant_id == tenant_id, QuarantinedRecord.id == record_id)
                .values(source_ref=refs[record_id])
                .execution_options(synchronize_session=False)
            )
