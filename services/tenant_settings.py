"""What a tenant may change about its own syncing: the groups switched on, how often each runs,
and what goes first when processes run short. One set of rules for the CLI and the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.groups import DEFAULT_PRIORITIES, check_enabled
from records.errors import InvalidInput
from shop.models import Tenant

MAX_MINUTES = 44_640  # a 31-day month: a schedule hint longer than a period makes no sense


@dataclass(frozen=True)
class SettingsChange:
    """Fields left None stay as they are. A schedule of None puts the group back on the default."""

    entities: list[str] | None = None
    schedules: dict[str, int | None] | None = None
    priorities: list[str] | None = None


def check_minutes(entity: str, minutes: int) -> int:
    check_enabled([entity])
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"the schedule of {entity} must be 1 to {MAX_MINUTES:,} minutes, got {minutes}")
    return minutes


def apply_settings(tenant: Tenant, change: SettingsChange) -> dict[str, dict[str, Any]]:
    """Validate every field before touching any, apply, and return what really changed as
    ``{field: {"from": old, "to": new}}`` (empty when nothing did)."""
    entities = check_enabled(_unique(change.entities)) if change.entities is not None else tenant.entities
    if set(entities) == set(tenant.entities):  # the same groups in another order are no change
        entities = tenant.entities
    schedules = dict(tenant.schedules)
    for entity, minutes in (change.schedules or {}).items():
        if minutes is None:
            check_enabled([entity])
            schedules.pop(entity, None)
        else:
            schedules[entity] = check_minutes(entity, minutes)
    priorities = check_enabled(_unique(change.priorities)) if change.priorities is not None else tenant.priorities
    if priorities == list(DEFAULT_PRIORITIES):  # the default order spelled out is still the default
        priorities = []
    changed: dict[str, dict[str, Any]] = {}
    for name, new in (("entities", entities), ("schedules", schedules), ("priorities", priorities)):
        old = getattr(tenant, name)
        if new != old:
            changed[name] = {"from": old, "to": new}
            setattr(tenant, name, new)
    return changed


def effective_priorities(tenant: Tenant) -> list[str]:
    return list(tenant.priorities or DEFAULT_PRIORITIES)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))
