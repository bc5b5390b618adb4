"""What a tenant declares about each entity's drop: the files to read, the columns, how values are
written and the defaults. Read from the adapter's options, every refusal one line.

Options (all optional, each keyed by entity): ``files`` (globs), ``mapping`` (field -> column),
``defaults`` (field -> value) and ``formats`` (``decimal``, ``thousands``, ``date_format``,
``encoding``, ``delimiter``). A tenant's connection file writes them per entity instead.
"""

from __future__ import annotations

import codecs
import datetime as dt
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from erp_adapters.errors import AdapterConfigError
from records.erp import ValueRules

DEFAULT_SUFFIXES = (".csv", ".xlsx")
DECIMALS = (",", ".")
THOUSANDS = ("", ".", ",", " ", "'")
DELIMITERS = (";", ",", "\t", "|")
FORMAT_KEYS = ("decimal", "thousands", "date_format", "encoding", "delimiter")


@dataclass(frozen=True)
class Declared:
    """What the tenant's connection says of a CSV export's text; None leaves it to detection."""

    encoding: str | None = None
    delimiter: str | None = None


DETECT = Declared()


@dataclass(frozen=True)
class EntityDrop:
    entity: str
    files: tuple[str, ...] = ()  # globs; none: names starting with the entity's, .csv or .xlsx
    columns: Mapping[str, str] = field(default_factory=dict)
    rules: ValueRules = field(default_factory=ValueRules)
    text: Declared = DETECT

    def matches(self, path: Path) -> bool:
        """Whether the file is one of this entity's exports; names are compared ignoring case."""
        name = path.name.casefold()
        if not self.files:
            return name.startswith(self.entity) and name.endswith(DEFAULT_SUFFIXES)
        return any(fnmatch.fnmatchcase(name, pattern.casefold()) for pattern in self.files)


def entity_drops(options: Mapping[str, object]) -> dict[str, EntityDrop]:
    """Every entity the options say something about; the others read with the defaults."""
    files = _by_entity(options, "files")
    mapping = _by_entity(options, "mapping")
    defaults = _by_entity(options, "defaults")
    formats = _by_entity(options, "formats")
    drops = {}
    for entity in sorted({*files, *mapping, *defaults, *formats}):
        given = formats.get(entity, {})
        if not isinstance(given, Mapping):
            raise AdapterConfigError(f"csv_files: formats.{entity} must be {{setting: value}}, got {given!r:.80}")
        unknown = sorted(set(given) - set(FORMAT_KEYS))
        if unknown:
            known = ", ".join(FORMAT_KEYS)
            raise AdapterConfigError(f"csv_files: formats.{entity}: unknown setting {unknown[0]!r} (known: {known})")
        drops[entity] = EntityDrop(
            entity,
            _globs(entity, files.get(entity)),
            _texts(f"mapping.{entity}", mapping.get(entity, {})),
            _rules(entity, given, _texts(f"defaults.{entity}", defaults.get(entity, {}))),
            _declared(entity, given),
        )
    return drops


def _by_entity(options: Mapping[str, object], key: str) -> dict[str, object]:
    raw = options.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise AdapterConfigError(f"csv_files: option '{key}' must be keyed by entity, got {raw!r:.80}")
    return {str(entity): value for entity, value in raw.items()}


def _texts(where: str, raw: object) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise AdapterConfigError(f"csv_files: {where} must be {{field: text}}, got {raw!r:.80}")
    return {str(key): value for key, value in raw.items()}


def _globs(entity: str, raw: object) -> tuple[str, ...]:
    globs = [raw] if isinstance(raw, str) else raw
    if globs is None:
        return ()
    if not isinstance(globs, list) or not globs or not all(isinstance(g, str) and g.strip() for g in globs):
        raise AdapterConfigError(f"csv_files: files of {entity} must be a list of file names or globs, got {raw!r:.80}")
    if any("/" in glob or "\\" in glob for glob in globs):
        raise AdapterConfigError(f"csv_files: files of {entity} are names in the drop folder, not paths: {globs}")
    return tuple(globs)


def _rules(entity: str, given: Mapping[str, object], defaults: dict[str, str]) -> ValueRules:
    decimal, thousands, date_format = given.get("decimal"), given.get("thousands"), given.get("date_format")
    if decimal is not None and decimal not in DECIMALS:
        raise AdapterConfigError(f"csv_files: decimal of {entity} must be one of {DECIMALS}, got {decimal!r}")
    if thousands is not None:
        if decimal is None:
            raise AdapterConfigError(f"csv_files: thousands of {entity} needs its decimal separator too")
        if thousands not in THOUSANDS or thousands == decimal:
            raise AdapterConfigError(
                f"csv_files: thousands of {entity} must be one of {THOUSANDS} other than the decimal, got {thousands!r}"
            )
    if date_format is not None and not _is_date_format(date_format):
        raise AdapterConfigError(
            f"csv_files: date_format of {entity} must be a pattern such as '%d/%m/%Y', got {date_format!r}"
        )
    return ValueRules(
        decimal=str(decimal) if decimal is not None else None,
        thousands=str(thousands) if thousands is not None else None,
        date_format=str(date_format) if date_format is not None else None,
        defaults=defaults,
    )


def _is_date_format(pattern: object) -> bool:
    """A pattern that writes a date and reads it back: day, month and year all in it."""
    if not isinstance(pattern, str) or "%" not in pattern:
        return False
    sample = dt.datetime(2031, 12, 24)
    try:
        return dt.datetime.strptime(sample.strftime(pattern), pattern).date() == sample.date()
    except ValueError:
        return False


def _declared(entity: str, given: Mapping[str, object]) -> Declared:
    encoding, delimiter = given.get("encoding"), given.get("delimiter")
    if encoding in (None, "auto"):
        encoding = None
    else:
        try:
            # UTF-8 read as UTF-8 with an optional BOM, which would otherwise stick to the first header.
            encoding = codecs.lookup(str(encoding)).name
            encoding = "utf-8-sig" if encoding == "utf-8" else encoding
        except LookupError:
            raise AdapterConfigError(
                f"csv_files: encoding of {entity} {encoding!r} is unknown (e.g. auto, utf-8, latin-1, cp1252, utf-16)"
            ) from None
    if delimiter in (None, "auto"):
        delimiter = None
    elif delimiter not in DELIMITERS:
        raise AdapterConfigError(
            f"csv_files: delimiter of {entity} must be one of {DELIMITERS} or auto, got {delimiter!r}"
        )
    return Declared(encoding, delimiter)
