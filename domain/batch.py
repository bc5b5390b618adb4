"""What transform hands to load: shared by both, so the two steps never import each other."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from records.erp import Cursor
from records.quarantine import Quarantined


def fingerprint(raw: dict[str, str]) -> str:
    payload = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def quarantined(source_ref: str, raw: dict[str, str], reason: str) -> Quarantined:
    return Quarantined(source_ref, raw, reason, fingerprint(raw))


def raw_rows(frame: pd.DataFrame, positions: np.ndarray) -> list[dict[str, str]]:
    """Rows ``positions`` of a page's frame as the ERP wrote them: the frame is all text. Taken
    in one slice: row by row, pandas costs about 0.1 ms a row, and a bad export can refuse
    every row of a batch."""
    picked = frame.iloc[positions]
    columns = [str(column) for column in picked.columns]
    return [dict(zip(columns, map(str, values), strict=True)) for values in picked.itertuples(index=False, name=None)]


@dataclass(frozen=True)
class Batch:
    """Valid rows ready to diff and load, plus what was rejected and where the source stands."""

    entity: str
    rows: pd.DataFrame  # spec.columns + spec.carried + row_hash, in source order
    rejected: list[Quarantined]
    fetched: int
    source: str
    cursor: Cursor = field(default_factory=dict)
    # The valid rows as the ERP wrote them and their row numbers, aligned with ``rows``: a record
    # refused later (its parent is missing) is quarantined with its raw payload too.
    raw: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_numbers: list[int] = field(default_factory=list)

    def refuse(self, mask: np.ndarray, reasons: Sequence[str]) -> Batch:
        """The rows under ``mask`` leave the batch for quarantine, with their raw payload and one
        reason each (in row order); the rest stay as they were."""
        positions = np.flatnonzero(mask)
        refused = [
            quarantined(f"{self.source}:{self.row_numbers[i]}", raw, reason)
            for i, raw, reason in zip(positions, raw_rows(self.raw, positions), reasons, strict=True)
        ]
        keep = ~mask
        return replace(
            self,
            rows=self.rows[keep].reset_index(drop=True),
            rejected=[*self.rejected, *refused],
            raw=self.raw[keep].reset_index(drop=True),
            row_numbers=[n for n, kept in zip(self.row_numbers, keep, strict=True) if kept],
        )
