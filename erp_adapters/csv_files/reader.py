"""Streaming readers for ERP export files: DataFrame chunks of string cells, never the whole file.

Every cell stays a string ("" for an empty cell) so nothing is guessed here: "19,90" or a
leading-zero code like "00123" reach the mapping exactly as the ERP wrote them.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, TextIO
from zipfile import BadZipFile

import pandas as pd
from lxml import etree

from erp_adapters.csv_files.drops import DETECT, Declared
from erp_adapters.csv_files.workbook import Row, Workbook
from erp_adapters.errors import MalformedSource
from records.text import clipped

_BLOCK_BYTES = 1 << 20
_MAX_HEADER_CHARS = 1 << 16
_SEPARATORS = (";", ",", "\t")  # ties go to ";", the usual choice of Spanish ERPs
# A broken zip, a missing part, XML that does not parse, a shared string or style out of range.
_XLSX_ERRORS = (BadZipFile, KeyError, ValueError, IndexError, etree.LxmlError)
_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")  # a zip's first entry; an empty zip; a spanned one
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Control bytes no text export holds (tab, line ends, form feed and DOS's end-of-file ^Z aside).
_CONTROL_BYTES = re.compile(rb"[\x01-\x08\x0e-\x19\x1b-\x1f]")
# Mixed encodings. A file that is not valid UTF-8 is read as Latin-1 (CP1252), unless it also holds
# the UTF-8 form of a character a Latin-1 tool could have written: a letter or symbol of
# U+00A0-U+00FF ("\xc3\x89" is É, "\xc2\xba" is º), the euro sign or the punctuation U+2010-U+203F
# (dashes, curly quotes, …). That is what appending to, or pasting into, an export in the other
# encoding leaves. Its limit: genuine Latin-1 text where "Ã" is followed by one of
# ¡¢£¤¥¦§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿ (or a CP1252 quote, dash or €), "Â" by one of those symbols, or "â"
# by "€" or "‚" and one more such byte, reads as UTF-8 there: such a file is refused as mixed.
# UTF-8 text outside those characters (Greek, CJK, emoji) next to Latin-1 bytes goes unseen, and
# the file loads as Latin-1 as it always did.
_UTF8_LEADS = (b"\xc2", b"\xc3", b"\xe2")
_LATIN1_AS_UTF8 = re.compile(rb"\xc2[\xa0-\xbf]|\xc3[\x80-\xbf]|\xe2\x80[\x90-\xbf]|\xe2\x82\xac")


def read_chunks(path: Path, chunk_rows: int, skip_rows: int = 0, declared: Declared = DETECT) -> Iterator[pd.DataFrame]:
    """Chunks of at most ``chunk_rows`` data rows, starting after ``skip_rows`` data rows.

    Always yields at least one frame (empty, with the header's columns, when no rows are left),
    so a caller can see the header of a file that has nothing more to read.
    """
    if is_workbook(path):
        return read_xlsx_chunks(path, chunk_rows, skip_rows)
    return read_csv_chunks(path, chunk_rows, skip_rows, declared)


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() == ".xlsx"


def read_csv_chunks(
    path: Path, chunk_rows: int, skip_rows: int = 0, declared: Declared = DETECT
) -> Iterator[pd.DataFrame]:
    """A CSV export in UTF-8, Latin-1 or UTF-16 (with its BOM), maybe gzipped, separated by ";",
    "," or tab unless ``declared`` says otherwise (see ``read_chunks``). What cannot be such an
    export is refused, whatever is declared: see ``sniff``."""
    _check_chunk_rows(chunk_rows)
    return _skip_leading_rows(_csv_frames(path, chunk_rows, declared), skip_rows)


def text_format(path: Path, declared: Declared = DETECT) -> tuple[CsvFormat, str]:
    """How the export will be read: its encoding and compression, and its delimiter."""
    found = sniff(path)
    if declared.encoding:
        found = CsvFormat(declared.encoding, found.compression)
    try:
        with _unpacking(path):
            return found, declared.delimiter or detect_separator(path, found.encoding, found.compression)
    except UnicodeDecodeError as exc:  # only a declared encoding can be wrong for the file
        raise MalformedSource(f"{path.name}: not {found.encoding} as declared: {_one_line(exc)}") from exc


def _csv_frames(path: Path, chunk_rows: int, declared: Declared) -> Iterator[pd.DataFrame]:
    found, separator = text_format(path, declared)
    try:
        with (
            _unpacking(path),
            pd.read_csv(
                path,
                sep=separator,
                encoding=found.encoding,
                compression=found.compression,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                chunksize=chunk_rows,
            ) as reader,
        ):
            for chunk in reader:
                yield _checked_csv_chunk(path, chunk)
    except ValueError as exc:  # pandas' ParserError and EmptyDataError, UnicodeDecodeError
        raise MalformedSource(f"{path.name}: {_one_line(exc)}") from exc


def _checked_csv_chunk(path: Path, chunk: pd.DataFrame) -> pd.DataFrame:
    # When data rows have one field more than the header, pandas silently turns the first
    # column into the index and shifts every value one column left: refuse such a file.
    if not isinstance(chunk.index, pd.RangeIndex):
        raise MalformedSource(f"{path.name}: data rows have more fields than the header")
    chunk.columns = pd.Index([str(column).strip() for column in chunk.columns])
    return chunk


@dataclass(frozen=True)
class CsvFormat:
    encoding: str  # "utf-8-sig", "latin-1" or "utf-16" (whose BOM tells the byte order)
    compression: Literal["gzip"] | None = None


def detect_encoding(path: Path) -> str:
    """The encoding of the file's text (once unpacked, if gzipped): see ``sniff``."""
    return sniff(path).encoding


def sniff(path: Path) -> CsvFormat:
    """How to read a CSV export, or ``MalformedSource`` naming the file when it cannot be one.

    Read: UTF-16 LE or BE with a BOM; UTF-8 (a BOM is dropped) when all of it is valid UTF-8;
    else Latin-1. A gzip file is read through, judged by what it unpacks to. Refused: a zip
    archive (an .xlsx never gets here), a gzip holding an archive or binary data, binary data
    (NUL bytes), and a file mixing UTF-8 and Latin-1 text. Streams the file block by block.
    """
    head = _head(path, compressed=False)
    if head.startswith(_ZIP_MAGICS):
        raise MalformedSource(_archive(path))
    if not head.startswith(_GZIP_MAGIC):
        if head.startswith(_UTF16_BOMS):
            return CsvFormat("utf-16")
        return CsvFormat(_text_encoding(path, False, _binary(path)))
    with _unpacking(path):
        head = _head(path, compressed=True)
        if head.startswith((*_ZIP_MAGICS, _GZIP_MAGIC)):
            raise MalformedSource(_archive(path))
        if head.startswith(_UTF16_BOMS):
            return CsvFormat("utf-16", "gzip")
        # Unpacked binary data is most likely a .tar.gz: the same advice as for an archive.
        return CsvFormat(_text_encoding(path, True, _archive(path)), "gzip")


def _archive(path: Path) -> str:
    return f"{path.name}: a gzip/zip archive, not a CSV export; unpack it into the drop folder"


def _binary(path: Path) -> str:
    return f"{path.name}: binary data (NUL bytes), not a CSV export"


def _text_encoding(path: Path, compressed: bool, binary: str) -> str:
    """The encoding of text that is not UTF-16: "utf-8-sig" or "latin-1" (``binary`` is the
    message refusing binary data). One pass over the file; another only for a file it refuses."""
    size = nuls = 0
    offset = 0  # of the first byte of ``data`` in the file
    not_utf8: int | None = None  # the offset of the first byte that cannot be UTF-8
    utf8: int | None = None  # the offset of the first UTF-8 text a Latin-1 tool could have written
    pending = b""  # a UTF-8 sequence cut by the end of a block, kept for the next one
    for block in itertools.chain(_blocks(path, compressed), [b""]):
        size += len(block)
        if b"\0" in block:
            nuls += block.count(b"\0")
        data = pending + block
        end = _complete(data) if block else len(data)  # at the end of the file, nothing is pending
        data, pending = data[:end], data[end:]
        if not data.isascii():  # an ASCII block (most blocks of most exports) is valid UTF-8 and nothing else
            if offset == 0 and data.startswith(codecs.BOM_UTF8):
                utf8 = 0
            if not_utf8 is None:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    not_utf8 = offset + exc.start
            # ``in`` first: a Latin-1 export seldom holds "Â", "Ã" or "â", and the search is slower.
            if utf8 is None and any(lead in data for lead in _UTF8_LEADS) and (match := _LATIN1_AS_UTF8.search(data)):
                utf8 = offset + match.start()
        offset += len(data)
    # NUL is valid text, so one stray NUL in a cell is read (and that record quarantined). NUL
    # bytes that are a tenth of the file (UTF-16 without a BOM, a spreadsheet) or come with other
    # control bytes (images, PDFs, databases) are binary data.
    if nuls and (nuls * 10 >= size or any(_CONTROL_BYTES.search(block) for block in _blocks(path, compressed))):
        raise MalformedSource(binary)
    if not_utf8 is None:
        return "utf-8-sig"
    if utf8 is not None:  # named: the first line by which both encodings have shown up
        line = _line_at(path, compressed, max(not_utf8, utf8))
        raise MalformedSource(
            f"{path.name}: mixes UTF-8 and Latin-1 text (first at line {line}); re-export it in one encoding"
        )
    return "latin-1"


def _line_at(path: Path, compressed: bool, offset: int) -> int:
    """The line (from 1) that holds the byte at ``offset``."""
    line = 1
    for block in _blocks(path, compressed):
        line += block.count(b"\n", 0, offset)
        offset -= len(block)
        if offset <= 0:
            break
    return line


def _complete(data: bytes) -> int:
    """Where a UTF-8 sequence cut by the end of ``data`` starts: ``len(data)`` if none is."""
    for back in range(1, min(3, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # a lead byte, announcing 2, 3 or 4 bytes
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) - back if needed > back else len(data)
    return len(data)


def _blocks(path: Path, compressed: bool) -> Iterator[bytes]:
    """The file's bytes (unpacked, if ``compressed``) in blocks of ``_BLOCK_BYTES``."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        while block := handle.read(_BLOCK_BYTES):
            yield block


def _head(path: Path, compressed: bool) -> bytes:
    """The first four bytes (unpacked, if ``compressed``): enough for a BOM or a magic number."""
    with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
        return handle.read(4)


@contextmanager
def _unpacking(path: Path) -> Iterator[None]:
    """A damaged gzip file is malformed, not an I/O error worth retrying."""
    try:
        yield
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise MalformedSource(
            f"{path.name}: a damaged gzip archive, not a readable CSV export ({_one_line(exc)})"
        ) from exc


def detect_separator(path: Path, encoding: str, compression: Literal["gzip"] | None = None) -> str:
    """The most frequent of ";", "," and tab in the header line."""
    with _open_text(path, encoding, compression) as handle:
        header = handle.readline(_MAX_HEADER_CHARS)
    return max(_SEPARATORS, key=header.count)


def _open_text(path: Path, encoding: str, compression: Literal["gzip"] | None) -> TextIO:
    if compression == "gzip":
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return path.open(encoding=encoding, newline="")


def read_xlsx_chunks(path: Path, chunk_rows: int, skip_rows: int = 0) -> Iterator[pd.DataFrame]:
    """The first sheet of a workbook, its first row being the header (see ``read_chunks``)."""
    _check_chunk_rows(chunk_rows)
    return _skip_leading_rows(_xlsx_workbook_frames(path, chunk_rows), skip_rows)


def _xlsx_workbook_frames(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        workbook = Workbook(path)
    except _XLSX_ERRORS as exc:
        raise MalformedSource(f"{path.name}: not a readable .xlsx workbook ({_one_line(exc)})") from exc
    with workbook:
        try:
            yield from _xlsx_frames(path, workbook.rows(), chunk_rows)
        except _XLSX_ERRORS as exc:
            raise MalformedSource(f"{path.name}: {_one_line(exc)}") from exc


def _xlsx_frames(path: Path, rows: Iterator[Row], chunk_rows: int) -> Iterator[pd.DataFrame]:
    header = next(rows, None)
    if header is None:
        raise MalformedSource(f"{path.name}: the first sheet is empty, no header row")
    columns = _unique_columns([cell_text(cell).strip() for cell in header.cells])
    batch: list[list[str]] = []
    yielded = False
    for row in rows:
        values = _fit_to_header(path, row.number, [cell_text(cell) for cell in row.cells], len(columns))
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
    if type(value) is str:  # most cells: first, as this runs for each one
        return value
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
    """The exception's text on one line, cut: pandas may quote a whole (5 MB) line of the file."""
    return clipped(" ".join(str(exc).split())) or type(exc).__name__


def count_rows(path: Path) -> int:
    """Data rows in an export without parsing it: newlines for CSV (unpacked, if gzipped; decoded,
    if UTF-16), the sheet's dimension for XLSX. A zip archive, which is refused, counts none."""
    if path.suffix.lower() == ".xlsx":
        with Workbook(path) as workbook:
            last = workbook.dimension_rows()
            if last is None:  # a writer that left out <dimension>: count the rows
                last = sum(1 for _ in workbook.rows())
            return max(last - 1, 0)
    head = _head(path, compressed=False)
    if head.startswith(_ZIP_MAGICS):
        return 0
    with _unpacking(path):
        blocks = _blocks(path, compressed=head.startswith(_GZIP_MAGIC))
        first = next(blocks, b"")
        if first.startswith(_UTF16_BOMS):
            decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
            lines = sum(decoder.decode(block).count("\n") for block in itertools.chain([first], blocks))
            lines += decoder.decode(b"", final=True).count("\n")
        else:
            lines = sum(block.count(b"\n") for block in itertools.chain([first], blocks))
    return max(lines - 1, 0)
