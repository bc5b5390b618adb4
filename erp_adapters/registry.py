"""Adapters by name: an explicit registry instead of lookups by string all over the code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erp_adapters.base import Capability, ErpAdapter
from erp_adapters.errors import AdapterConfigError

AdapterFactory = Callable[[dict[str, Any]], ErpAdapter]
_FACTORIES: dict[str, AdapterFactory] = {}
_DECLARED: dict[str, frozenset[Capability]] = {}


def register(name: str, factory: AdapterFactory, capabilities: frozenset[Capability]) -> None:
    """Make an adapter known by name, with what its class declares it can do."""
    _FACTORIES[name] = factory
    _DECLARED[name] = capabilities


def _load_builtin() -> None:
    # Importing an adapter package registers it; done lazily so the registry has no import cycle.
    import erp_adapters.csv_files.adapter
    import erp_adapters.holded
    import erp_adapters.odoo
    import erp_adapters.tryton  # noqa: F401


def known_adapters() -> list[str]:
    _load_builtin()
    return sorted(_FACTORIES)


def declared_capabilities() -> dict[str, frozenset[Capability]]:
    """Each known adapter's capabilities, by name: what the adapters matrix is made from."""
    _load_builtin()
    return {name: _DECLARED[name] for name in sorted(_DECLARED)}


def create_adapter(name: str, options: dict[str, Any]) -> ErpAdapter:
    _load_builtin()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise AdapterConfigError(f"unknown ERP adapter '{name}' (known: {', '.join(known_adapters())})") from None
    return factory(options)
