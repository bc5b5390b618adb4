"""What transform hands to load: shared by both, so the two steps never import each other."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pandas as pd

from erp_adapters.base import Cursor
from shop.quarantine import Quarantined


def fingerprint(raw: dict[str, str]) -> str:
    payload = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def quarantined(source_ref: str, raw: dict[str, str], reason: str) -> Quarantined:
    return Quarantined(source_ref, raw, reason, fingerprint(raw))


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
