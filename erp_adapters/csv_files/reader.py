"""Streaming readers for ERP export files: DataFrame chunks of string cells, never the whole file.

Every cell stays a string ("" for an empty cell) so nothing is guessed here: "19,90" or a
leading-zero code like "00123" reach the mapping exactly as the ERP wrote them.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from erp_adapters.errors import MalformedSource

_BLOCK_BYTES = 1 << 20
_MAX_HEADER_CHARS = 1 << 16
_SEPARATORS = (";", ",", "\t")  # ties go to ";", the usual choice of Spanish ERPs
_XLSX_ERRORS = (BadZipFile, InvalidFileException, KeyError, ValueError, ParseError)


def read_chunks(path: Path, chunk_rows: int, skip_rows: int = 0) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` data rows, starting after ``skip_rows`` data rows.

    Always yields at least one frame (empty, with the header's columns, when no rows are left),
    so a caller can see the header of a file that has nothing more to read.
    """
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_chunks(path, chunk_rows, skip_rows)
    return read_csv_chunks(path, chunk_rows, skip_rows)


def read_csv_chunks(path: Path, chunk_rows: int, skip_rows: int = 0) -> Iterator[pd.DataFrame]:
    """A CSV export in UTF-8 or Latin-1, separated by ";", "," or tab (see ``read_chunks``)."""
    _check_chunk_rows(chunk_rows)
    return _skip_leading_rows(_csv_frames(path, chunk_rows), skip_rows)


def _csv_frames(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    encoding = detect_encoding(path)
    separator = detect_separator(path, encoding)
    try:
        with pd.read_csv(
            path,
            sep=separator,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            chunksize=chunk_rows,
        ) as reader:
            for chunk in reader:
                yield _checked_csv_chunk(path, chunk)
    except ValueError as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise MalformedSource(f"{path.name}: {_one_line(exc)}") from exc


def _checked_csv_chunk(path: Path, chunk: pd.DataFrame) -> pd.DataFrame:
    # When data rows have one field more than the header, pandas silently turns the first
    # column into the index and shifts every value one column left: refuse such a file.
    if not isinstance(chunk.index, pd.RangeIndex):
        raise MalformedSource(f"{path.name}: data rows have more fields than the header")
    chunk.columns = pd.Index([str(column).strip() for column in chunk.columns])
    return chunk


def detect_encoding(path: Path) -> str:
    """The file's encoding: "utf-8-sig" when all of it is valid UTF-8 (a BOM is then dropped), else "latin-1"."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK_BYTES):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"


def detect_separator(path: Path, encoding: str) -> str:
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline(_MAX_HEADER_CHARS)
    return max(_SEPARATORS, key=header.count)


def read_xlsx_chunks(path: Path, chunk_rows: int, skip_rows: int = 0) -> Iterator[pd.DataFrame]:
    """The first sheet of a workbook, its first row being the header (see ``read_chunks``)."""
    _check_chunk_rows(chunk_rows)
    return _skip_leading_rows(_xlsx_workbook_frames(path, chunk_rows), skip_rows)


def _xlsx_workbook_frames(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise MalformedSource(f"{path.name}: not a readable .xlsx workbook ({_one_line(exc)})") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            yield from _xlsx_frames(path, rows, chunk_rows)
        except _XLSX_ERRORS as exc:
            raise MalformedSource(f"{path.name}: {_one_line(exc)}") from exc
    finally:
        workbook.close()


def _xlsx_frames(path: Path, rows: Iterator[tuple[Any, ...]], chunk_rows: int) -> Iterator[pd.DataFrame]:
    header_cells = next(rows, None)
    if header_cells is None:
        raise MalformedSource(f"{path.name}: the first sheet is empty, no header row")
    columns = _unique_columns([cell_text(cell).strip() for cell in header_cells])
    batch: list[list[str]] = []
    yielded = False
    for line, cells in enumerate(rows, start=2):
        values = _fit_to_header(path, line, [cell_text(cell) for cell in cells], len(columns))
        if not any(values):  # rows Excel keeps only for their formatting
            continue
        batch.append(values)
        if len(batch) == chunk_rows:
            yield pd.DataFrame(batch, columns=columns, dtype=str)
            batch, yielded = [], True
    if batch or not yielded:  # a header-only sheet still yields its (empty) frame
        yield pd.DataFrame(batch, columns=columns, dtype=str)


def _fit_to_header(path: Path, line: int, values: list[str], width: int) -> list[str]:
    # Read-only sheets may report rows narrower or wider than the header; only a filled cell
    # beyond the header is data we would lose.
    if any(values[width:]):
        raise MalformedSource(f"{path.name}: row {line} has more filled cells than the header")
    return values[:width] + [""] * (width - len(values))


def _unique_columns(names: Sequence[str]) -> list[str]:
    # Same naming as pandas gives a CSV header, so both formats map alike.
    seen: dict[str, int] = {}
    columns = []
    for position, name in enumerate(names):
        name = name or f"Unnamed: {position}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        columns.append(f"{name}.{count}" if count else name)
    return columns


def cell_text(value: object) -> str:
    """An Excel cell as the text the sheet shows: 20.0 -> "20", 19.9 -> "19.9", dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # 15 significant digits is what Excel displays; Decimal avoids "1e-07"-style exponents.
        return format(Decimal(format(value, ".15g")), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _skip_leading_rows(chunks: Iterable[pd.DataFrame], skip_rows: int) -> Iterator[pd.DataFrame]:
    # Skipping parsed rows (rather than read_csv's skiprows, which counts blank lines too) keeps
    # the row numbers of a resumed read identical to those of a full read.
    remaining = skip_rows
    last: pd.DataFrame | None = None
    yielded = False
    for chunk in chunks:
        last = chunk
        if remaining >= len(chunk):
            remaining -= len(chunk)
            continue
        yield chunk.iloc[remaining:].reset_index(drop=True)
        remaining = 0
        yielded = True
    if not yielded and last is not None:
        yield last.iloc[0:0].reset_index(drop=True)


def _check_chunk_rows(chunk_rows: int) -> None:
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def count_rows(path: Path) -> int:
    """Data rows in an export without parsing it: newlines for CSV, the sheet's dimension for XLSX."""
    if path.suffix.lower() == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines - 1, 0)
