"""The delta window: which Tryton records a run reads, and the cursor it leaves behind.

A cursor ``{"write_date": T, "id": 0}`` means "read every record stamped at or after T minus the
look-back"; the look-back catches transactions that were stamped before T but committed after
the previous run read past them. Mid-run pages store ``id`` (the last record loaded) and
``until`` (the interrupted run's start), so a resumed run continues after that id and still
hands the next run the window the first attempt would have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from erp_adapters.errors import AdapterConfigError
from records.erp import Cursor


@dataclass(frozen=True)
class Window:
    since: dt.datetime | None  # None: every record
    until: dt.datetime  # where the next run's window starts
    after_id: int = 0

    @classmethod
    def open(cls, cursor: Cursor | None, now: dt.datetime) -> Window:
        cursor = cursor or {}
        after_id = cursor.get("id") or 0
        if not isinstance(after_id, int) or after_id < 0:
            raise AdapterConfigError(f"tryton: stored cursor id must be a whole number, got {after_id!r}")
        until = _parse(cursor.get("until")) if after_id else None
        return cls(_parse(cursor.get("write_date")), until or now, after_id)

    def domain(self, stamps: Sequence[str], look_back: dt.timedelta) -> list[Any]:
        """Tryton domain clauses selecting records touched inside the window."""
        if self.since is None or not stamps:
            return []
        start = self.since - look_back
        return [["OR", *([stamp, ">=", start] for stamp in stamps)]]

    def cursor_after(self, last_id: int) -> Cursor:
        return {"write_date": _iso(self.since), "id": last_id, "until": _iso(self.until)}

    def cursor_done(self) -> Cursor:
        return {"write_date": _iso(self.until), "id": 0}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: object) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise AdapterConfigError(f"tryton: stored cursor date is not ISO 8601: {value!r}") from None
