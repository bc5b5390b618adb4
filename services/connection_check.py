"""The check of a tenant's connection: the first rows of each entity it syncs, read from the ERP
and mapped exactly as a sync would, and every problem found. Nothing is written, nothing costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from domain.entities import SPECS
from domain.groups import SYNC_GROUPS
from domain.transform import missing_fields, transform_page
from erp_adapters.base import ErpAdapter
from erp_adapters.csv_files.adapter import CsvFilesAdapter
from erp_adapters.csv_files.reader import is_workbook, read_chunks, text_format
from erp_adapters.documents import DOCUMENTS, LINES, NUMBER
from erp_adapters.errors import AdapterConfigError, ErpError
from records.erp import Entity
from records.text import clipped


@dataclass
class FileSeen:
    name: str
    encoding: str  # as it will be read: "latin-1", "utf-8-sig", "xlsx workbook", ...
    delimiter: str | None = None
    problem: str | None = None


@dataclass
class EntityCheck:
    entity: str
    files: list[FileSeen] = field(default_factory=list)  # for a drop folder
    columns: dict[str, str] = field(default_factory=dict)  # shop field -> the export's column
    defaults: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # required fields with neither
    read: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)  # the valid ones, as they would be stored
    refused: list[dict[str, str]] = field(default_factory=list)  # where, why, and the row as the ERP wrote it
    error: str | None = None
    misconfigured: bool = False  # the error is the connection's own (a column it names is not there)

    def blocks_saving(self) -> bool:
        """A connection that cannot map the exports it reads is refused when saved."""
        return bool(self.missing) or self.misconfigured

    def problems(self) -> list[str]:
        """What stops the entity's sync: set-up to fix before it runs."""
        found = [f"{self.entity}: {self.error}"] if self.error else []
        found += [f"{self.entity}: {seen.name}: {seen.problem}" for seen in self.files if seen.problem]
        if self.missing:
            found.append(f"{self.entity}: no column for required field {', '.join(map(repr, self.missing))}")
        return found


@dataclass
class CheckReport:
    entities: list[EntityCheck]
    unclaimed: list[str]  # drop-folder files no synced entity reads

    def problems(self) -> list[str]:
        return [problem for check in self.entities for problem in check.problems()]

    def warnings(self) -> list[str]:
        """What the sync survives: rows it would quarantine, files it would not read."""
        found = [f"{check.entity}: {bad['row']}: {bad['reason']}" for check in self.entities for bad in check.refused]
        return found + [f"{name}: read by no entity this tenant syncs" for name in self.unclaimed]

    def as_json(self) -> dict[str, Any]:
        return {
            "entities": [vars(check) | {"files": [vars(seen) for seen in check.files]} for check in self.entities],
            "unclaimed_files": self.unclaimed,
            "problems": self.problems(),
            "warnings": self.warnings(),
        }


def check_connection(adapter: ErpAdapter, groups: list[str], rows: int = 5) -> CheckReport:
    """Read at most ``rows`` records of every entity of ``groups`` and map them."""
    entities = [entity for group in groups for entity in SYNC_GROUPS[group]]
    checks = [_check_entity(adapter, entity, rows) for entity in entities]
    return CheckReport(checks, _unclaimed(adapter, entities))


def _check_entity(adapter: ErpAdapter, entity: str, rows: int) -> EntityCheck:
    check = EntityCheck(entity, defaults=dict(adapter.rules_for(Entity(entity)).defaults))
    if isinstance(adapter, CsvFilesAdapter):
        check.files = _files(adapter, entity)
        if not check.files:
            check.error = f"no file in the drop folder matches {_wanted(adapter, entity)}"
            return check
    spec = SPECS[entity]
    try:
        page = next(islice(adapter.fetch(Entity(entity), None, rows), 1), None)
        if page is None:
            return check
        check.columns = dict(page.fields)
        check.missing = missing_fields(spec, page.fields, check.defaults)
        if check.missing:
            return check
        batch = transform_page(page, spec)
    except ErpError as exc:
        check.error, check.misconfigured = clipped(str(exc)), isinstance(exc, AdapterConfigError)
        return check
    check.read = batch.fetched
    check.rows = [
        {str(k): v for k, v in row.items()} for row in batch.rows.drop(columns="row_hash").head(rows).to_dict("records")
    ]
    check.refused = [
        {"row": bad.source_ref, "reason": bad.reason, "values": clipped(str(bad.raw))} for bad in batch.rejected[:rows]
    ]
    return check


def _files(adapter: CsvFilesAdapter, entity: str) -> list[FileSeen]:
    """Every export the entity would read, each with its own header mapped: a later file that
    lost a column is found now, not half-way through a sync."""
    drop, defaults = adapter.drop(entity), adapter.rules_for(Entity(entity)).defaults
    spec = SPECS[entity]
    seen = []
    for path in adapter.exports(entity):
        file = FileSeen(path.name, "xlsx workbook") if is_workbook(path) else FileSeen(path.name, "?")
        try:
            if not is_workbook(path):
                found, file.delimiter = text_format(path, drop.text)
                file.encoding = found.encoding + (" (gzip)" if found.compression else "")
            header = list(next(read_chunks(path, 1, 0, drop.text)).columns)
            fields = adapter.fields_for(Entity(entity), header)
            if entity in DOCUMENTS and NUMBER in fields:  # one row per line, folded by the number
                fields[LINES] = LINES
        except ErpError as exc:
            file.problem = clipped(str(exc).removeprefix(f"{path.name}: "))
        else:
            missing = missing_fields(spec, fields, defaults)
            if missing:
                file.problem = f"no column for required field {', '.join(map(repr, missing))}"
        seen.append(file)
    return seen


def _wanted(adapter: CsvFilesAdapter, entity: str) -> str:
    globs = adapter.drop(entity).files
    return ", ".join(globs) if globs else f"{entity}*.csv or {entity}*.xlsx"


def _unclaimed(adapter: ErpAdapter, entities: list[str]) -> list[str]:
    if not isinstance(adapter, CsvFilesAdapter):
        return []
    drops = [adapter.drop(entity) for entity in entities]
    return sorted(
        path.name
        for path in adapter.folder.iterdir()
        if path.is_file() and not path.name.startswith(".") and not any(drop.matches(path) for drop in drops)
    )
