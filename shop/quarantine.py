"""Records that could not be loaded: kept with their raw payload and the reason, never dropped."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.orm import Session

from shop.bulk import upsert_frame
from shop.models import QuarantinedRecord, now_utc

QUARANTINE: Table = QuarantinedRecord.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Quarantined:
    source_ref: str
    raw: dict[str, str]
    reason: str
    fingerprint: str


def quarantine(
    session: Session, tenant_id: int, entity: str, records: Sequence[Quarantined], flow_run_id: str | None
) -> None:
    """The same bad record seen again updates its row (reason, last seen) instead of piling up."""
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
        }
    ).drop_duplicates("fingerprint", keep="last")
    upsert_frame(session, QUARANTINE, tenant_id, frame, key=("entity", "fingerprint"), changed_only=False)
