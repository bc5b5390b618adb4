"""Documents with lines (invoices, delivery notes, pending orders) as adapters hand them over.

ERP exports usually write one row per line, the document's own fields repeated on each. The
pipeline wants one record per document with its lines in a ``lines`` field: a JSON list of
objects keyed by the line field names below, with text values as the ERP wrote them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from records.documents import LINE_FIELDS
from records.erp import Entity

DOCUMENTS = frozenset({Entity.INVOICES, Entity.DELIVERY_NOTES, Entity.PENDING_ORDERS})
LINES = "lines"
NUMBER = "number"  # the field that tells one document from the next


def fold_lines(
    frame: pd.DataFrame, fields: Mapping[str, str], first_row: int
) -> tuple[pd.DataFrame, dict[str, str], list[int]]:
    """One-row-per-line ``frame`` → one row per document, in order of first appearance.

    Returns the documents (the first line's values for every column that is not a line field,
    plus ``lines``), the fields of that frame, and each document's source row (its first line).
    """
    line_columns = {name: fields[name] for name in LINE_FIELDS if name in fields}
    header_fields = {name: column for name, column in fields.items() if name not in line_columns}
    number = fields.get(NUMBER)
    if number is None or frame.empty:
        # Nothing to group by: the pipeline reports the missing field for the whole file.
        return frame, header_fields, list(range(first_row, first_row + len(frame)))
    groups = list(frame.groupby(number, sort=False).indices.values())
    firsts = [int(positions[0]) for positions in groups]
    values = {name: frame[column].to_numpy() for name, column in line_columns.items()}
    lines = [
        json.dumps([{name: str(column[i]) for name, column in values.items()} for i in positions], ensure_ascii=False)
        for positions in groups
    ]
    header_columns = [c for c in frame.columns if c not in set(line_columns.values())]
    documents = frame.iloc[firsts][header_columns].reset_index(drop=True)
    documents[LINES] = lines
    return documents, {**header_fields, LINES: LINES}, [first_row + i for i in firsts]


def whole_documents(chunks: Iterable[pd.DataFrame], number_column: str | None) -> Iterator[pd.DataFrame]:
    """Re-cut chunks of rows so that no document's lines are split between two of them: the
    rows of the last document of a chunk wait for the next one. Yields at least one frame."""
    if number_column is None:
        yield from chunks  # the pipeline reports the missing field on the first page
        return
    carry: pd.DataFrame | None = None
    yielded = False
    for chunk in chunks:
        frame = chunk if carry is None else pd.concat([carry, chunk], ignore_index=True)
        if frame.empty:
            carry = frame
            continue
        numbers = frame[number_column].to_numpy()
        same_as_last = numbers == numbers[-1]
        # The trailing run of the last number: everything after the last row of another document.
        others = np.flatnonzero(~same_as_last)
        cut = int(others[-1]) + 1 if others.size else 0
        if cut:
            yield frame.iloc[:cut].reset_index(drop=True)
            yielded = True
        carry = frame.iloc[cut:].reset_index(drop=True)
    if carry is not None and (not carry.empty or not yielded):
        yield carry
