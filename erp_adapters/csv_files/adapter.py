"""An ERP that drops export files in a folder: each matching file is streamed page by page.

The cursor remembers which files (by size and modification time) were fully loaded and how far
the file in progress got, so a rewritten export is read again and an interrupted one resumes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from erp_adapters.base import Capability
from erp_adapters.csv_files.drops import EntityDrop, entity_drops
from erp_adapters.csv_files.mapping import resolve_fields
from erp_adapters.csv_files.order_files import find_order_file, write_cancel_file, write_order_file
from erp_adapters.csv_files.reader import count_rows, is_workbook, read_chunks
from erp_adapters.documents import DOCUMENTS, NUMBER, fold_lines, whole_documents
from erp_adapters.errors import AdapterConfigError, TransientErpError
from erp_adapters.registry import register
from records.erp import Cursor, Entity, Page, ValueRules
from records.orders import ShopOrder
from records.text import clipped

MAX_REMEMBERED_FILES = 1000
# Records are numbered as an editor or Excel numbers their line, the header being line 1, so
# "products.csv:787" is found at line 787 (unless a quoted cell above it holds a line break).
_FIRST_DATA_LINE = 2
_MESSAGE_LIMIT = 1000  # characters of a mapping error kept: a few dozen column names


@dataclass(frozen=True)
class _DropFile:
    path: Path
    mtime_ns: int
    signature: str  # changes whenever the ERP rewrites or touches the file

    @property
    def name(self) -> str:
        return self.path.name


class CsvFilesAdapter:
    name: ClassVar[str] = "csv_files"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PRODUCTS,
            Capability.STOCK,
            Capability.SALES_REPS,
            Capability.CUSTOMERS,
            Capability.CONTACTS,
            Capability.ADMIN_USERS,
            Capability.INVOICES,
            Capability.DELIVERY_NOTES,
            Capability.PENDING_ORDERS,
            Capability.DELTA,
            Capability.PUSH_ORDERS,
            Capability.CANCEL_ORDERS,
        }
    )

    def __init__(self, folder: Path, drops: Mapping[str, EntityDrop] | None = None) -> None:
        self.folder = folder
        self.drops: Mapping[str, EntityDrop] = drops or {}

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> CsvFilesAdapter:
        """Options: ``path`` (the drop folder), and per entity ``files``, ``mapping``, ``defaults``
        and ``formats`` (see drops.py)."""
        raw_path = options.get("path")
        if not raw_path or not isinstance(raw_path, (str, Path)):
            raise AdapterConfigError("csv_files: option 'path' (the drop folder) is required")
        folder = Path(raw_path)
        if not folder.is_dir():
            raise AdapterConfigError(f"csv_files: drop folder '{folder}' does not exist or is not a folder")
        return cls(folder, entity_drops(options))

    def drop(self, entity: Entity | str) -> EntityDrop:
        """What the tenant declared for the entity's exports (the defaults if nothing)."""
        return self.drops.get(str(entity)) or EntityDrop(str(entity))

    def fetch(self, entity: Entity, since: Cursor | None, page_size: int) -> Iterator[Page]:
        """Pages of every file not yet loaded, oldest first; each page carries the cursor to store."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        cursor = since or {}
        files = self._drop_files(entity)
        done = _remembered(cursor, files)
        for drop_file in files:
            if done.get(drop_file.name) == drop_file.signature:
                continue
            finished = _bounded({**done, drop_file.name: drop_file.signature}, files)
            with _reading(drop_file.name):
                yield from self._file_pages(entity, drop_file, _rows_done(cursor, drop_file), page_size, done, finished)
            done = finished

    def estimate(self, entity: Entity, since: Cursor | None) -> int | None:
        """Data rows left in the files still to load: line counts, so quoted newlines overcount."""
        cursor = since or {}
        files = self._drop_files(entity)
        done = _remembered(cursor, files)
        left = 0
        for drop_file in (f for f in files if done.get(f.name) != f.signature):
            with _reading(drop_file.name):
                left += max(count_rows(drop_file.path) - _rows_done(cursor, drop_file), 0)
        return left

    def snapshot(self, entity: Entity, page_size: int) -> Iterator[Page]:
        """The newest export of the entity: drops are full exports, so it lists all the ERP has."""
        files = self._drop_files(entity)
        if files:
            with _reading(files[-1].name):
                yield from self._file_pages(entity, files[-1], 0, page_size, {}, {})

    def fields_for(self, entity: Entity, columns: Sequence[str]) -> dict[str, str]:
        """The tenant's mapping and the default aliases applied to ``columns``."""
        return resolve_fields(str(entity), list(columns), self.drop(entity).columns)

    def rules_for(self, entity: Entity) -> ValueRules:
        return self.drop(entity).rules

    def exports(self, entity: Entity | str) -> list[Path]:
        """The entity's export files in the folder, in the order they are loaded."""
        return [drop_file.path for drop_file in self._drop_files(Entity(entity))]

    def find_order(self, idempotency_key: str) -> str | None:
        return find_order_file(self.folder, idempotency_key)

    def push_order(self, order: ShopOrder, idempotency_key: str) -> str:
        """Drop the order as ``orders/<number>.csv`` in the tenant's folder (see order_files.py)."""
        return write_order_file(self.folder, order, idempotency_key)

    def cancel_order(self, idempotency_key: str, erp_ref: str) -> str:
        return write_cancel_file(self.folder, idempotency_key, erp_ref, dt.datetime.now(dt.UTC))

    def _file_pages(
        self,
        entity: Entity,
        drop_file: _DropFile,
        rows_done: int,
        page_size: int,
        done: dict[str, str],
        finished: dict[str, str],
    ) -> Iterator[Page]:
        declared = self.drop(entity).text
        chunks: Iterator[pd.DataFrame] = read_chunks(drop_file.path, page_size, rows_done, declared)
        first = next(chunks)  # read_chunks yields at least one frame, so the header is known
        fields = self._fields(entity, drop_file, first)
        chunks = itertools.chain([first], chunks)
        if entity in DOCUMENTS:
            chunks = whole_documents(chunks, fields.get(NUMBER))
        pending = next(chunks)
        first_row = rows_done + _FIRST_DATA_LINE
        rules = self.rules_for(entity)
        if is_workbook(drop_file.path):
            # A workbook's numbers and dates are typed cells, read as "1234.5" and ISO dates: the
            # separators and date format declared for the entity's text exports do not apply.
            rules = ValueRules(defaults=rules.defaults)
        # One chunk of look-ahead: only the last page may claim the file is finished.
        for chunk in chunks:
            rows_done += len(pending)
            cursor = _mid_file(done, drop_file, rows_done)
            yield self._page(entity, pending, fields, drop_file.name, first_row, cursor, rules)
            first_row, pending = rows_done + _FIRST_DATA_LINE, chunk
        finished_cursor = {"files": dict(finished), "current": None}
        yield self._page(entity, pending, fields, drop_file.name, first_row, finished_cursor, rules)

    @staticmethod
    def _page(
        entity: Entity,
        frame: pd.DataFrame,
        fields: dict[str, str],
        source: str,
        first_row: int,
        cursor: Cursor,
        rules: ValueRules,
    ) -> Page:
        if entity not in DOCUMENTS:
            return Page(frame, fields, source, first_row, cursor, rules=rules)
        documents, document_fields, row_numbers = fold_lines(frame, fields, first_row)
        return Page(documents, document_fields, source, first_row, cursor, row_numbers, rules)

    def _fields(self, entity: Entity, drop_file: _DropFile, frame: pd.DataFrame) -> dict[str, str]:
        try:
            return self.fields_for(entity, list(frame.columns))
        except AdapterConfigError as exc:
            # The message lists the header's columns: a 5 MB "header" must not make a 5 MB line.
            raise AdapterConfigError(f"{drop_file.name}: {clipped(str(exc), _MESSAGE_LIMIT)}") from None

    def _drop_files(self, entity: Entity) -> list[_DropFile]:
        drop = self.drop(entity)
        try:
            paths = [path for path in self.folder.iterdir() if drop.matches(path) and path.is_file()]
        except FileNotFoundError:
            raise AdapterConfigError(f"csv_files: drop folder '{self.folder}' does not exist") from None
        files = []
        for path in paths:
            with _reading(path.name):
                stat = path.stat()
            files.append(_DropFile(path, stat.st_mtime_ns, f"{stat.st_size}:{stat.st_mtime_ns}"))
        return sorted(files, key=lambda drop_file: (drop_file.mtime_ns, drop_file.name))


@contextmanager
def _reading(name: str) -> Iterator[None]:
    """An export the OS cannot read (gone since it was listed, no permission, an I/O error on a
    network share) is one line naming the file; a later run may find it readable."""
    try:
        yield
    except OSError as exc:
        raise TransientErpError(f"{name}: cannot be read: {exc.strerror or exc}") from None


def _remembered(cursor: Cursor, files: list[_DropFile]) -> dict[str, str]:
    remembered = cursor.get("files")
    return _bounded(dict(remembered) if isinstance(remembered, dict) else {}, files)


def _bounded(done: dict[str, str], files: list[_DropFile]) -> dict[str, str]:
    # Files gone from the folder are forgotten, and only the newest ones are kept, so the
    # cursor stays small however long the ERP keeps dropping files.
    present = [drop_file.name for drop_file in files if drop_file.name in done]
    return {name: done[name] for name in present[-MAX_REMEMBERED_FILES:]}


def _rows_done(cursor: Cursor, drop_file: _DropFile) -> int:
    current = cursor.get("current")
    if not isinstance(current, dict):
        return 0
    if current.get("file") != drop_file.name or current.get("signature") != drop_file.signature:
        return 0  # another file, or this one was rewritten since: start it over
    rows_done = current.get("rows_done")
    return rows_done if isinstance(rows_done, int) and rows_done > 0 else 0


def _mid_file(done: dict[str, str], drop_file: _DropFile, rows_done: int) -> Cursor:
    return {
        "files": dict(done),
        "current": {"file": drop_file.name, "signature": drop_file.signature, "rows_done": rows_done},
    }


register("csv_files", CsvFilesAdapter.from_options, CsvFilesAdapter.capabilities)
