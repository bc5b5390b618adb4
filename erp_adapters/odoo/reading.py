"""Records from Odoo in pages: one model's ``search_read``, ordered by id, changed since a cursor.

The cursor is Odoo's ``write_date`` of the newest record seen, less a look-back: a record
committed late with an earlier stamp is read again instead of missed (re-reading an unchanged
record costs nothing). Within a run, pages follow the id, so an interrupted run resumes after
the last page it stored.

Paging by ``id > last id`` (never by offset) means a record deleted or created between two
pages cannot shift a later page: every record that exists throughout the run is read exactly
once, and one created during it either comes in a later page or in the next run (its
write_date is newer than the cursor). An answer that breaks this contract (not a list of
records, a record without an id or write_date, ids not ascending past the last page's, such as
the same page answered twice) is refused as a ``MalformedSource`` before any of its records are
handed on, so the cursor cannot move past records that were never read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from erp_adapters.errors import AdapterConfigError, MalformedSource
from erp_adapters.odoo.client import OdooClient
from records.erp import Cursor, Page

LOOK_BACK = dt.timedelta(seconds=30)
ODOO_STAMP = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class OdooSource:
    """Where an entity lives in Odoo and how its records become a page's text columns."""

    model: str
    domain: tuple[tuple[str, str, Any], ...]  # which records of the model belong to the entity
    read: tuple[str, ...]  # the fields asked for (id and write_date are always read)
    fields: dict[str, str]  # shop field -> page column
    to_frame: Callable[[OdooClient, list[dict[str, Any]]], pd.DataFrame]


def source_pages(client: OdooClient, source: OdooSource, since: Cursor | None, page_size: int) -> Iterator[Page]:
    """Pages of the records changed since the cursor (all of them without one), by id."""
    cursor = since or {}
    changed_since = cursor.get("write_date")
    domain = _domain(source, changed_since)
    after_id = cursor.get("after_id", 0)
    newest = str(cursor.get("newest") or changed_since or "")
    if not isinstance(after_id, int) or isinstance(after_id, bool) or after_id < 0:
        raise AdapterConfigError(f"odoo: stored cursor id must be a whole number, got {after_id!r}")
    for stamp in (changed_since, newest):
        if stamp and not _is_stamp(stamp):
            raise AdapterConfigError(f"odoo: stored cursor date is not an Odoo timestamp: {stamp!r}")
    first_row = 1
    pending = _read(client, source, domain, after_id, page_size)
    while pending:
        after_id = int(pending[-1]["id"])
        newest = max([newest, *(str(row["write_date"]) for row in pending)])
        following = _read(client, source, domain, after_id, page_size)  # one page ahead: the last one ends the run
        if following:
            next_cursor: Cursor = {"write_date": changed_since, "after_id": after_id, "newest": newest}
        else:
            next_cursor = {"write_date": _minus_look_back(newest), "after_id": 0}
        yield Page(source.to_frame(client, pending), source.fields, source.model, first_row, next_cursor)
        first_row += len(pending)
        pending = following


def count_changed(client: OdooClient, source: OdooSource, since: Cursor | None) -> int:
    return int(client.execute_kw(source.model, "search_count", [_domain(source, (since or {}).get("write_date"))]))


def text(value: object) -> str:
    """Odoo's False (an empty field) becomes ''; everything else its text, as the transform expects."""
    return "" if value is False or value is None else str(value)


def many2one(value: object) -> tuple[str, str]:
    """A link to another record, which Odoo answers as ``[id, display name]`` or False. Anything
    else is kept as text for the transform to judge, rather than failing the page."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return text(value[0]), text(value[1])
    return text(value), ""


def _domain(source: OdooSource, changed_since: object) -> list[Any]:
    domain: list[Any] = [list(term) for term in source.domain]
    return [*domain, ["write_date", ">=", changed_since]] if changed_since else domain


def _read(client: OdooClient, source: OdooSource, domain: list[Any], after_id: int, limit: int) -> list[dict[str, Any]]:
    fields = ["id", "write_date", *source.read]
    query = [*domain, ["id", ">", after_id]]
    answer = client.execute_kw(
        source.model, "search_read", [query], {"fields": fields, "order": "id asc", "limit": limit}
    )
    return _checked(f"{source.model}.search_read", answer, after_id)


def _checked(what: str, answer: object, after_id: int) -> list[dict[str, Any]]:
    """The records of a ``search_read`` answer, once it is known to page as asked."""
    if not isinstance(answer, list):
        raise MalformedSource(f"odoo: {what} answered {type(answer).__name__} where a list of records was expected")
    last = after_id
    for record in answer:
        record_id = record.get("id") if isinstance(record, dict) else None
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            raise MalformedSource(f"odoo: {what} answered a record without an integer id after id {last}")
        if record_id <= last:
            raise MalformedSource(
                f"odoo: {what} answered id {record_id} after id {last}, asked for ids above {after_id} "
                "in ascending order (a page repeated or out of order)"
            )
        if not _is_stamp(record.get("write_date")):
            raise MalformedSource(f"odoo: {what} answered record {record_id} without a valid write_date")
        last = record_id
    return answer


def _is_stamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.strptime(value, ODOO_STAMP)
    except ValueError:
        return False
    return True


def _minus_look_back(stamp: str) -> str:
    return (dt.datetime.strptime(stamp, ODOO_STAMP) - LOOK_BACK).strftime(ODOO_STAMP)
