"""Alert thresholds fire on crossing: every threshold between the previous and the new level."""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLDS: tuple[int, ...] = (80, 90, 100)


@dataclass(frozen=True)
class ThresholdCrossed:
    tenant: str
    kind: str  # credits | processes
    threshold: int
    used: int
    limit: int
    period: str


def crossed(previous: int, current: int, limit: int, thresholds: tuple[int, ...] = THRESHOLDS) -> list[int]:
    """Thresholds (percent of ``limit``) reached by going from ``previous`` to ``current``."""
    if limit <= 0 or current <= previous:
        return []
    return [t for t in thresholds if previous * 100 < t * limit <= current * 100]
