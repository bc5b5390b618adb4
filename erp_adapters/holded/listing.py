"""Holded's lists, read to the end and cut into the pipeline's pages.

Holded pages a list by offset (``?page=N``, in creation order, an empty page past the end) and
offers no "changed since" filter on any list, so every run reads every record: the pipeline's
hash diff makes the unchanged ones cost nothing. Within a run a page's cursor is the position
after its last record (Holded page, records of it already handed on), so a run that failed
part-way resumes there; the last page's cursor is the start again.

Offsets shift when records are created or deleted during a read:
- a record created shifts the next page's first record back onto a page already read: a record
  whose id was already read in this pass is passed over;
- a record deleted shifts one forward past the page boundary: it is missed by this pass. An
  import picks it up on its next run, but reconcile would delete it, so ``snapshot_records``
  reads the list twice and keeps every record either pass saw.

A page answered twice (the same ids as the page before) is refused before any of it is handed
on, so a cursor can never move past records that were not read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from erp_adapters.errors import AdapterConfigError, MalformedSource
from erp_adapters.holded.client import HoldedClient
from erp_adapters.values import Row
from records.erp import Cursor, Page

Record = dict[str, Any]


@dataclass(frozen=True)
class Position:
    """Where a read stands: which of the entity's lists (invoices are read from two), the
    Holded page to ask for next, and how many of its records were already handed on."""

    page: int = 1
    skip: int = 0
    list: int = 0

    @classmethod
    def of(cls, cursor: Cursor | None) -> Position:
        if not cursor:
            return START
        values = {"page": cursor.get("page", 1), "skip": cursor.get("skip", 0), "list": cursor.get("list", 0)}
        for name, value in values.items():
            least = 1 if name == "page" else 0
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                wanted = f"a whole number from {least}"
                raise AdapterConfigError(f"holded: stored cursor {name} must be {wanted}, got {value!r}")
        return cls(**values)

    def cursor(self) -> Cursor:
        return {"list": self.list, "page": self.page, "skip": self.skip}


START = Position()
LIST = "_list"  # where a chained read notes the list a record came from


@dataclass(frozen=True)
class Located:
    """A record and the positions just before and just after it."""

    record: Record
    before: Position
    after: Position


def records(client: HoldedClient, path: str, params: Mapping[str, Any], start: Position = START) -> Iterator[Located]:
    """Every record of the list from ``start``, once each by id, in Holded's order."""
    seen: set[str] = set()
    previous: list[str] = []
    page, skip = start.page, start.skip
    while True:
        answer = client.get(path, {**params, "page": page})
        ids = _ids(path, page, answer)
        if not ids:
            return
        if ids == previous:
            raise MalformedSource(
                f"holded: GET {path} page {page} answered the same records as page {page - 1} (a page served twice)"
            )
        previous = ids
        for index in range(skip, len(ids)):
            if ids[index] not in seen:
                seen.add(ids[index])
                yield Located(answer[index], Position(page, index, start.list), Position(page, index + 1, start.list))
        page, skip = page + 1, 0


def chained(client: HoldedClient, lists: Sequence[tuple[str, Mapping[str, Any]]], start: Position) -> Iterator[Located]:
    """Every record of several lists, one list after the other, from ``start``; each record
    carries the path of the list it came from under ``LIST``."""
    for number in range(start.list, len(lists)):
        path, params = lists[number]
        begin = start if number == start.list else Position(list=number)
        for located in records(client, path, params, begin):
            yield replace(located, record={**located.record, LIST: path})


def snapshot_records(client: HoldedClient, path: str, params: Mapping[str, Any]) -> Iterator[Record]:
    """Every record the list holds, read twice: a record one pass missed because a deletion
    shifted the offsets is in the other (see the module's docstring)."""
    first: set[str] = set()
    for located in records(client, path, params):
        first.add(located.record["id"])
        yield located.record
    for located in records(client, path, params):
        if located.record["id"] not in first:
            yield located.record


def rows_of(located: Iterable[Located], to_rows: Callable[[Record], list[Row]]) -> Iterator[tuple[Row, Position]]:
    """Each record's rows (a product gives one per variant), each with the position to resume
    from once it is stored: after the record for its last row, before it for the others, so
    that a run resumed between two variants reads the whole product again."""
    for item in located:
        rows = to_rows(item.record)
        for number, row in enumerate(rows, start=1):
            yield row, item.after if number == len(rows) else item.before


def cut(rows: Iterable[tuple[Row, Position]], columns: tuple[str, ...], source: str, page_size: int) -> Iterator[Page]:
    """Pages of at most ``page_size`` rows whose columns are the shop's fields. A page is handed
    on once the next row is known to exist, so the last one carries the start as its cursor."""
    fields = {column: column for column in columns}
    chunk: list[Row] = []
    first_row, after = 1, START
    for row, position in rows:
        if len(chunk) == page_size:
            yield Page(pd.DataFrame(chunk, columns=list(columns), dtype=str), fields, source, first_row, after.cursor())
            first_row, chunk = first_row + len(chunk), []
        chunk.append(row)
        after = position
    if chunk:
        yield Page(pd.DataFrame(chunk, columns=list(columns), dtype=str), fields, source, first_row, START.cursor())


def _ids(path: str, page: int, answer: object) -> list[str]:
    """The ids of a list page, once it is known to be a list of records."""
    what = f"holded: GET {path} page {page}"
    if not isinstance(answer, list):
        raise MalformedSource(f"{what} answered {type(answer).__name__} where a list of records was expected")
    ids = [record.get("id") if isinstance(record, dict) else None for record in answer]
    if any(not isinstance(record_id, str) or not record_id for record_id in ids):
        raise MalformedSource(f"{what} answered a record without an id")
    return [str(record_id) for record_id in ids]
