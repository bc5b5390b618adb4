"""Transform: validate and normalise a page of ERP records, quarantine the bad ones, hash the rest.

Vectorised with pandas: the per-row Python work is the hash and the quarantine payloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from domain.batch import Batch, quarantined, raw_rows
from domain.entities import get_spec
from domain.hashing import row_hashes
from domain.specs import EntitySpec, FieldSpec
from erp_adapters.errors import MalformedSource
from records.erp import Page, ValueRules
from records.text import clipped, quoted

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# How ERPs write dates: ISO first (unambiguous), then the Spanish day-first forms.
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
DECIMAL_LIMIT = 10**10  # the shop's numeric columns (14 digits, 4 of them decimals) hold less than this
SPACE_OR_EURO = re.compile(r"[\s€]")
NO_RULES = ValueRules()
DUPLICATE = "duplicate"  # starts the reason of a record whose key an earlier row of the export had


def parse_decimal(values: pd.Series, rules: ValueRules = NO_RULES) -> pd.Series:
    """Numbers as ERPs export them: '1.234,56' (Spanish), '1,234.56', '19,9', '€ 5'. Unparseable → NaN.

    Declared separators (``rules.decimal``, ``rules.thousands``) are the only ones accepted. Else
    the column's style decides: once any cell of it puts ',' after the digits' last '.', or has
    ',' alone, ',' is its decimal separator and '.' groups thousands, so '1.234' is one thousand
    two hundred and thirty-four there, and a '.' that cannot be grouping ('1.5') is refused."""
    # One scan of the whole column decides which rewrites it needs: an export uses one style.
    joined = "\x00".join(values.tolist())
    text = values.str.replace(r"[\s€]", "", regex=True) if SPACE_OR_EURO.search(joined) else values
    if rules.decimal is not None:
        return _declared_numbers(text, rules.decimal, rules.thousands or "")
    if "," not in joined:
        normalised = text
    elif "." not in joined:
        normalised = text.str.replace(",", ".", regex=False)
    elif (text.str.rfind(",") > text.str.rfind(".")).any():
        return _declared_numbers(text, ",", ".")
    else:
        normalised = text.str.replace(",", "", regex=False)
    return pd.to_numeric(normalised, errors="coerce")


def _declared_numbers(text: pd.Series, decimal: str, thousands: str) -> pd.Series:
    if thousands:
        # Grouping is in threes from the first digit group: "1.234.567,8"; "12.34" is no number.
        group = re.escape(thousands)
        grouped = text.str.fullmatch(rf"[-+]?\d{{1,3}}(?:{group}\d{{3}})*(?:{re.escape(decimal)}\d*)?")
        text = text.where(~grouped, text.str.replace(thousands, "", regex=False))
    # What is left of the other separator (or of a grouping that was not in threes) is no number.
    stray = text.str.contains("[" + re.escape(("," if decimal == "." else ".") + thousands) + "]", regex=True)
    return pd.to_numeric(text.str.replace(decimal, ".", regex=False).mask(stray, ""), errors="coerce")


def parse_date(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Dates in the declared ``date_format``, else in any of ``DATE_FORMATS``; anything else → NaT."""
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in (date_format,) if date_format else DATE_FORMATS:
        parsed = parsed.fillna(pd.to_datetime(values, format=fmt, errors="coerce"))
    return parsed


def _parse_lines(text: str) -> list[dict[str, str]] | None:
    try:
        lines = json.loads(text)
    except ValueError:
        return None
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        return None
    return [{str(k): "" if v is None else str(v).strip() for k, v in line.items()} for line in lines]


def _check_lines(spec: FieldSpec, values: pd.Series, reasons: pd.Series, rules: ValueRules) -> pd.Series:
    """A document's lines, each checked like a record; the first bad line is the document's reason."""
    parsed = {index: _parse_lines(text) for index, text in values.items() if text != ""}
    for index, lines in parsed.items():
        if lines is None and reasons.at[index] == "":
            reasons.at[index] = f"{spec.name} is not a list of line objects"
        elif lines == [] and spec.required and reasons.at[index] == "":
            reasons.at[index] = f"no {spec.name}"
    owners = [(index, position) for index, lines in parsed.items() if lines for position in range(len(lines))]
    flat = pd.DataFrame(
        {
            part.name: pd.Series(
                [parsed[index][position].get(part.name, "") for index, position in owners],  # type: ignore[index]
                dtype=object,
            )
            for part in spec.parts
        }
    )
    line_reasons = pd.Series("", index=flat.index, dtype=object)
    for part in spec.parts:
        flat[part.name] = _check_field(part, flat[part.name], line_reasons, rules)
    for row, (index, position) in enumerate(owners):
        if line_reasons.iat[row] != "" and reasons.at[index] == "":
            reasons.at[index] = f"line {position + 1}: {line_reasons.iat[row]}"
    normalised: dict[Any, list[dict[str, str]]] = {index: [] for index, _ in owners}
    for row, (index, _) in enumerate(owners):
        normalised[index].append({part.name: str(flat.at[row, part.name]) for part in spec.parts})
    return pd.Series(
        [json.dumps(normalised.get(index, []), ensure_ascii=False, sort_keys=True) for index in values.index],
        index=values.index,
        dtype=object,
    )


def _check_field(spec: FieldSpec, values: pd.Series, reasons: pd.Series, rules: ValueRules) -> pd.Series:
    """Records a reason for each bad value; returns the normalised column."""
    if spec.kind == "lines":
        return _check_lines(spec, values, reasons, rules)
    cells = values.tolist()
    empty = values == ""
    # Each check first asks the whole column (all, max, in: loops in C) and looks at rows only
    # when it found something. No database text type holds NUL, and no ERP means one: the record
    # is refused, not the batch.
    if "\x00" in "".join(cells):
        nul = values.str.contains("\x00", regex=False)
        reasons.loc[nul & (reasons == "")] = f"{spec.name} contains a NUL character"
    if spec.required and not all(cells):
        reasons.loc[empty & (reasons == "")] = f"missing {spec.name}"
    if spec.max_length is not None and max(map(len, cells), default=0) > spec.max_length:
        too_long = values.str.len() > spec.max_length
        reasons.loc[too_long & (reasons == "")] = f"{spec.name} longer than {spec.max_length} characters"
    if spec.kind == "email":
        bad = ~empty & ~values.str.match(EMAIL)
        reasons.loc[bad & (reasons == "")] = f"{spec.name} is not an e-mail address"
    if spec.kind == "date":
        dates = parse_date(values, rules.date_format)
        for index in values.index[~empty & dates.isna() & (reasons == "")]:
            reasons.loc[index] = f"{spec.name} is not a date: {quoted(values.loc[index])}"
        return dates.dt.strftime("%Y-%m-%d").fillna("")
    if spec.kind != "decimal":
        return values
    numbers = parse_decimal(values, rules)
    unparsed = ~empty & (numbers.isna() | ~numbers.abs().lt(float("inf")))
    for index in values.index[unparsed & (reasons == "")]:
        reasons.loc[index] = f"{spec.name} is not a number: {quoted(values.loc[index])}"
    if spec.minimum is not None:
        below = numbers < spec.minimum
        for index in values.index[below & (reasons == "")]:
            reasons.loc[index] = f"{spec.name} is below {spec.minimum:g}: {quoted(values.loc[index])}"
    for index in values.index[(numbers.abs() >= DECIMAL_LIMIT) & (reasons == "")]:
        reasons.loc[index] = f"{spec.name} is too large for the shop: {quoted(values.loc[index])}"
    text = pd.Series([f"{n:.4f}" for n in numbers.tolist()], index=values.index, dtype=object)
    return text.mask(numbers.isna(), "")


def duplicate_reason(spec: EntitySpec) -> str:
    return f"{DUPLICATE} " + "/".join(spec.key) + " in the same export: the first one was kept"


def drop_repeated(batch: Batch, seen: set[tuple[str, ...]]) -> Batch:
    """Records whose key an earlier page of the same run already had are quarantined as duplicates,
    as they are within a page: the first row of an export wins wherever the second one falls.
    ``seen`` is the run's memory of keys and grows with this batch's."""
    spec = get_spec(batch.entity)
    keys = list(zip(*(batch.rows[k] for k in spec.key), strict=True))
    repeated = np.array([k in seen for k in keys], dtype=bool)
    seen.update(keys)
    if not repeated.any():
        return batch
    return batch.refuse(repeated, [duplicate_reason(spec)] * int(repeated.sum()))


def missing_fields(spec: EntitySpec, fields: Mapping[str, str], defaults: Mapping[str, str]) -> list[str]:
    """The required fields that neither a column nor a declared default feeds."""
    return [name for name in spec.required if name not in fields and not defaults.get(name)]


def transform_page(page: Page, spec: EntitySpec) -> Batch:
    defaults = page.rules.defaults
    missing = missing_fields(spec, page.fields, defaults)
    if missing:
        raise MalformedSource(
            f"{page.source}: no column for required field {', '.join(repr(m) for m in missing)} "
            f"(columns: {clipped(', '.join(map(str, page.frame.columns)))})"
        )
    raw = page.frame.astype(str)
    data = pd.DataFrame(index=raw.index)
    reasons = pd.Series("", index=raw.index, dtype=object)
    for field_spec in spec.fields:
        column = page.fields.get(field_spec.name)
        values = (
            pd.Series([cell.strip() for cell in raw[column].tolist()], index=raw.index, dtype=object)
            if column is not None
            else pd.Series("", index=raw.index, dtype=object)
        )
        if defaults.get(field_spec.name):  # declared in the connection: never a silent fill
            values = values.mask(values == "", defaults[field_spec.name])
        data[field_spec.name] = _check_field(field_spec, values, reasons, page.rules)
    if spec.check is not None:
        valid = reasons == ""
        found = spec.check(data.loc[valid])
        reasons.loc[found.index[found != ""]] = found[found != ""]
    key = list(spec.key)
    valid = reasons == ""
    duplicate = data[key].where(valid).duplicated(keep="first") & valid  # judged among valid rows only
    reasons.loc[duplicate] = duplicate_reason(spec)
    bad = (reasons != "").to_numpy()
    row_numbers = (
        np.asarray(page.row_numbers)
        if page.row_numbers is not None
        else np.arange(page.first_row, page.first_row + len(raw))
    )
    positions = np.flatnonzero(bad)
    rejected = [
        quarantined(f"{page.source}:{row_numbers[i]}", raw_row, reason)
        for i, raw_row, reason in zip(positions, raw_rows(raw, positions), reasons.iloc[positions], strict=True)
    ]
    good = spec.derive(data.loc[~bad].reset_index(drop=True))
    rows = good[[*spec.columns, *spec.carried]].copy()
    rows["row_hash"] = row_hashes(good, spec.hashed)
    return Batch(
        spec.name,
        rows,
        rejected,
        len(raw),
        page.source,
        dict(page.cursor),
        raw=raw.loc[~bad].reset_index(drop=True),
        row_numbers=row_numbers[~bad].tolist(),
    )
