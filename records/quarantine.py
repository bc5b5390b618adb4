"""A record refused on its way in: its raw payload as the ERP wrote it, where it came from and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quarantined:
    source_ref: str
    raw: dict[str, str]
    reason: str
    fingerprint: str
