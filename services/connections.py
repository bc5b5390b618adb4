"""A tenant's ERP connection as a file people read and write (TOML): the adapter, its options,
the secret's name (never the secret), the groups synced, and per entity the files, columns,
value rules and defaults of a CSV / Excel drop.

The tenant keeps the adapter's options as it always did (``erp_kind``, ``erp_options``,
``erp_secret_name``, ``entities``); the file is that, grouped by entity for people. Saving a
file keeps every record: the cursors of the entities whose reading changed are reset, so the
next sync reads their exports again with the new rules, and unchanged records cost nothing.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import tomli_w
from sqlalchemy import delete
from sqlalchemy.orm import Session

from domain.groups import SYNC_GROUPS, check_enabled
from erp_adapters.csv_files.drops import FORMAT_KEYS, entity_drops
from erp_adapters.csv_files.mapping import ALIASES
from erp_adapters.errors import AdapterConfigError
from erp_adapters.registry import known_adapters
from records.erp import Entity
from records.errors import InvalidInput
from services.tenants import looks_secret
from shop.audit import record_change
from shop.models import SyncCursor, Tenant

DROP_ADAPTER = "csv_files"  # the adapter whose reading is declared per entity
TOP_KEYS = ("adapter", "secret", "sync", "options")
ENTITY_KEYS = ("files", "columns", "defaults", *FORMAT_KEYS)
# Where each per-entity setting is kept in the adapter's options.
STORED = {"files": "files", "columns": "mapping", "defaults": "defaults"}
PER_ENTITY_OPTIONS = (*STORED.values(), "formats")
ENTITIES = [str(entity) for entity in Entity]


@dataclass(frozen=True)
class Connection:
    adapter: str
    options: dict[str, Any]  # as the adapter reads them
    secret: str | None = None
    sync: list[str] | None = None  # the groups synced; None: the tenant's stay as they are

    def groups(self) -> list[str]:
        """The groups it syncs: as it says, else those whose entities it has a table for."""
        if self.sync is not None:
            return self.sync
        tables = {entity for stored in PER_ENTITY_OPTIONS for entity in self.options.get(stored, {})}
        return [group for group, entities in SYNC_GROUPS.items() if tables & set(entities)] or ["products"]


def parse_connection(text: str, source: str = "connection") -> Connection:
    """A connection file checked whole: every refusal is one line naming the place in the file
    and, for a misspelt name, the closest valid one."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source}: not valid TOML: {exc}") from None
    for key in document:
        if key not in TOP_KEYS and key not in ENTITIES:
            raise InvalidInput(f"{source}: unknown setting or entity {key!r}{_closest(key, [*TOP_KEYS, *ENTITIES])}")
    adapter = document.get("adapter")
    if not isinstance(adapter, str) or not adapter:
        raise InvalidInput(f"{source}: 'adapter' is required, one of {', '.join(known_adapters())}")
    if adapter not in known_adapters():
        raise InvalidInput(f"{source}: unknown adapter {adapter!r}{_closest(adapter, known_adapters())}")
    secret = document.get("secret")
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise InvalidInput(f"{source}: 'secret' is the name of an environment variable or Prefect Secret block")
    sync = document.get("sync")
    if sync is not None:
        if not isinstance(sync, list) or not all(isinstance(group, str) for group in sync):
            raise InvalidInput(f"{source}: 'sync' is a list of groups, e.g. [{', '.join(map(repr, SYNC_GROUPS))}]")
        unknown = [group for group in sync if group not in SYNC_GROUPS]
        if unknown:
            raise InvalidInput(f"{source}: sync: unknown group {unknown[0]!r}{_closest(unknown[0], SYNC_GROUPS)}")
        sync = check_enabled(sync)
    options = _options(source, adapter, document.get("options", {}))
    entities = {name: document[name] for name in ENTITIES if name in document}
    if entities and adapter != DROP_ADAPTER:
        raise InvalidInput(
            f"{source}: [{next(iter(entities))}]: {adapter} reads its own models; files and columns per entity "
            f"are for {DROP_ADAPTER}"
        )
    for entity, section in entities.items():
        options = _fold_entity(source, entity, section, options)
    try:
        entity_drops(options)  # the adapter's own checks: separators, encodings, date formats
    except AdapterConfigError as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    return Connection(adapter, options, secret, sync)


def _options(source: str, adapter: str, raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source}: [options] must be a table of the adapter's settings")
    for key in raw:
        if looks_secret(key):
            raise InvalidInput(
                f"{source}: [options] {key!r} looks like a secret: name its environment variable or Prefect "
                "Secret block in 'secret' instead"
            )
        if adapter == DROP_ADAPTER and key in PER_ENTITY_OPTIONS:
            raise InvalidInput(f"{source}: [options] {key!r}: write it in each entity's table, e.g. [products]")
    return dict(raw)


def _fold_entity(source: str, entity: str, section: object, options: dict[str, Any]) -> dict[str, Any]:
    where = f"{source}: [{entity}]"
    if not isinstance(section, dict):
        raise InvalidInput(f"{where} must be a table")
    for key in section:
        if key not in ENTITY_KEYS:
            raise InvalidInput(f"{where}: unknown setting {key!r}{_closest(key, ENTITY_KEYS)}")
    folded = dict(options)
    fields = target_fields(entity)
    for key, stored in STORED.items():
        value = section.get(key)
        if value is None:
            continue
        if key != "files":
            value = _field_values(f"{where[:-1]}.{key}]", entity, value, fields)
        folded[stored] = {**folded.get(stored, {}), entity: value}
    formats = {key: section[key] for key in FORMAT_KEYS if key in section}
    if formats:
        folded["formats"] = {**folded.get("formats", {}), entity: formats}
    return folded


def _field_values(where: str, entity: str, table: object, fields: list[str]) -> dict[str, str]:
    if not isinstance(table, dict):
        raise InvalidInput(f"{where} must be a table of field = value")
    values = {}
    for name, value in table.items():
        if name not in fields:
            raise InvalidInput(f"{where}: {name!r} is not a field of {entity}{_closest(name, fields)}")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise InvalidInput(f"{where}: {name} must be text, got {value!r:.80}")
        values[name] = str(value)
    return values


def target_fields(entity: str) -> list[str]:
    """The fields an entity's records have, a document's line fields among them."""
    from domain.entities import SPECS  # the specs load pandas; only a file that names fields needs them

    spec = SPECS[entity]
    names = [f.name for f in spec.fields if f.kind != "lines"]
    names += [part.name for f in spec.fields for part in f.parts]
    names += [name for name in ALIASES.get(entity, {}) if name != "lines"]
    return list(dict.fromkeys(names))


def _closest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def connection_of(tenant: Tenant) -> dict[str, Any]:
    """The tenant's connection as the file holds it (for ``--json`` and ``render``)."""
    return _document(Connection(tenant.erp_kind, dict(tenant.erp_options), tenant.erp_secret_name, tenant.entities))


def _document(connection: Connection) -> dict[str, Any]:
    options = dict(connection.options)
    per_entity = {key: options.pop(key, None) or {} for key in PER_ENTITY_OPTIONS}
    document: dict[str, Any] = {"adapter": connection.adapter}
    if connection.secret:
        document["secret"] = connection.secret
    document["sync"] = list(connection.sync or [])
    document["options"] = options
    for entity in ENTITIES:
        section: dict[str, Any] = {}
        for key, stored in STORED.items():
            if entity in per_entity[stored]:
                section[key] = per_entity[stored][entity]
        section.update(per_entity["formats"].get(entity, {}))
        if section:
            document[entity] = section
    return document


def render(document: Mapping[str, Any], slug: str) -> str:
    header = (
        f"# The ERP connection of tenant {slug}. Change it, then `erp-sync connection set {slug} FILE`;\n"
        "# `erp-sync connection check` shows what the next sync would read. docs/connections.md explains it.\n"
    )
    return header + tomli_w.dumps(dict(document))


@dataclass(frozen=True)
class Replaced:
    changed: dict[str, Any]  # what changed, as the audit log records it
    reread: list[str]  # entities whose cursors were reset: the next sync reads them from the start


def replace_connection(session: Session, tenant: Tenant, connection: Connection, actor: str = "cli") -> Replaced:
    """Put the connection in place. Records stay; entities read differently start over."""
    if connection.sync is None:
        connection = replace(connection, sync=list(tenant.entities))
    before, after = connection_of(tenant), _document(connection)
    changed = {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted({*before, *after})
        if before.get(key) != after.get(key)
    }
    if not changed:
        return Replaced({}, [])
    base_changed = any(key in changed for key in ("adapter", "options"))
    reread = sorted(ENTITIES) if base_changed else [key for key in changed if key in ENTITIES]
    tenant.erp_kind, tenant.erp_options = connection.adapter, connection.options
    tenant.erp_secret_name, tenant.entities = connection.secret, list(connection.sync or [])
    session.execute(delete(SyncCursor).where(SyncCursor.tenant_id == tenant.id, SyncCursor.entity.in_(reread)))
    record_change(session, tenant.id, actor, "connection", changed)
    return Replaced(changed, reread)
