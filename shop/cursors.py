"""Where each tenant's import of each entity stands."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from records.erp import Cursor
from shop.bulk import upsert_frame
from shop.models import SyncCursor

CURSORS: Table = SyncCursor.__table__  # type: ignore[assignment]


def read_cursor(session: Session, tenant_id: int, entity: str) -> Cursor | None:
    return session.scalars(
        select(SyncCursor.position).where(SyncCursor.tenant_id == tenant_id, SyncCursor.entity == entity)
    ).one_or_none()


def save_cursor(session: Session, tenant_id: int, entity: str, cursor: Cursor) -> None:
    """Called inside the batch's transaction, so the cursor moves only with the rows it covers."""
    frame = pd.DataFrame({"entity": [entity], "position": [json.dumps(cursor)]})
    upsert_frame(session, CURSORS, tenant_id, frame, key=("entity",), changed_only=False)
