"""A tenant's adapter options (a dict from its settings, the password put in from its secret)
read into typed settings, every refusal one ``AdapterConfigError`` line led by the adapter's name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from erp_adapters.errors import AdapterConfigError

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


@dataclass(frozen=True)
class Options:
    adapter: str  # leads every error line: "odoo: ...", "tryton: ..."
    values: Mapping[str, Any]

    def require(self, keys: Iterable[str], wording: str) -> None:
        """Refuse the options when any of ``keys`` is absent or empty; ``wording`` is the error
        after the adapter's name, with ``{}`` standing for the keys missing."""
        missing = [key for key in keys if not self.values.get(key)]
        if missing:
            raise AdapterConfigError(f"{self.adapter}: " + wording.format(", ".join(map(repr, missing))))

    def text(self, key: str) -> str:
        """A required option (checked with ``require`` first) as text."""
        return str(self.values[key])

    def url(self, key: str) -> str:
        """A required address that must not carry a password: it would end up in logs and error lines."""
        value = self.text(key)
        if urlsplit(value).password:
            raise AdapterConfigError(f"{self.adapter}: the {key} must not carry a password; use the tenant's secret")
        return value

    def number(self, key: str, default: float) -> float:
        """A non-negative number: seconds, a rate, a count."""
        value = self.values.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise AdapterConfigError(f"{self.adapter}: option '{key}' must be a number, got {value!r}") from None
        if number < 0:
            raise AdapterConfigError(f"{self.adapter}: option '{key}' cannot be negative, got {value!r}")
        return number

    def count(self, key: str, default: int) -> int:
        """A non-negative whole number such as ``retries`` (a fraction is cut off, as ``int()`` does)."""
        return int(self.number(key, default))

    def flag(self, key: str, default: bool) -> bool:
        """true/false, also written yes/no or 1/0, in any case."""
        value = self.values.get(key, default)
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered not in (*_TRUE, *_FALSE):
            raise AdapterConfigError(f"{self.adapter}: option '{key}' must be true or false, got {value!r}")
        return lowered in _TRUE
