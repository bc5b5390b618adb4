"""Adapters by name: an explicit registry instead of lookups by string all over the code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from erp_adapters.base import ErpAdapter
from erp_adapters.errors import AdapterConfigError

AdapterFactory = Callable[[dict[str, Any]], ErpAdapter]
_FACTORIES: dict[str, AdapterFactory] = {}


def register(name: str, factory: AdapterFactory) -> None:
    _FACTORIES[name] = factory


def _load_builtin() -> None:
    # Importing an adapter package registers it; done lazily so the registry has no import cycle.
    import erp_adapters.csv_files.adapter
    import erp_adapters.holded
    import erp_adapters.odoo
    import erp_adapters.tryton  # noqa: F401


def known_adapters() -> list[str]:
    _load_builtin()
    return sorted(_FACTORIES)


def create_adapter(name: str, options: dict[str, Any]) -> ErpAdapter:
    _load_builtin()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise AdapterConfigError(f"unknown ERP adapter '{name}' (known: {', '.join(known_adapters())})") from None
    return factory(options)
