"""The groups a tenant switches on, the entities each imports, the order they run in and what
goes first when the budget runs short. Plain data, no spec: commands that only name groups
load no pandas."""

from __future__ import annotations

from records.errors import InvalidInput

# What a tenant switches on, and the entities each imports, in dependency order: a contact
# needs its customer, so it comes second in its group.
SYNC_GROUPS: dict[str, tuple[str, ...]] = {
    "products": ("products",),
    "stock": ("stock",),
    "sales_reps": ("sales_reps",),
    "admin_users": ("admin_users",),
    "customers": ("customers", "contacts"),
    "invoices": ("invoices", "delivery_notes"),
    "pending_orders": ("pending_orders",),
}

# The groups whose records point at another group's: stock at variants, documents at customers.
NEEDS: dict[str, tuple[str, ...]] = {
    "stock": ("products",),
    "invoices": ("customers",),
    "pending_orders": ("customers",),
}

# When the process budget runs short, what goes first: what the shop sells today (stock,
# open orders) before catalogue updates. A tenant may set its own order.
DEFAULT_PRIORITIES: tuple[str, ...] = (
    "stock",
    "pending_orders",
    "invoices",
    "customers",
    "sales_reps",
    "admin_users",
    "products",
)


def check_enabled(entities: list[str]) -> list[str]:
    unknown = [e for e in entities if e not in SYNC_GROUPS]
    if unknown:
        raise InvalidInput(f"unknown entity {', '.join(map(repr, unknown))} (known: {', '.join(SYNC_GROUPS)})")
    return entities


def dependency_levels(groups: list[str]) -> list[list[str]]:
    """``groups`` in waves: each wave needs only groups of earlier waves (among those chosen), so
    the groups of one wave can run side by side."""
    levels: list[list[str]] = []
    placed: set[str] = set()
    remaining = [g for g in SYNC_GROUPS if g in groups]
    while remaining:
        wave = [g for g in remaining if all(n in placed or n not in groups for n in NEEDS.get(g, ()))]
        levels.append(wave)
        placed.update(wave)
        remaining = [g for g in remaining if g not in placed]
    return levels


def priority_order(groups: list[str], priorities: list[str]) -> list[str]:
    """``groups`` with the tenant's priorities (or the default ones) first, the rest after."""
    first = [g for g in (priorities or DEFAULT_PRIORITIES) if g in groups]
    return first + [g for g in SYNC_GROUPS if g in groups and g not in first]
