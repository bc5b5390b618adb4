"""Spanish tax identifiers: NIF (DNI), NIE and CIF, with their control characters."""

from __future__ import annotations

import re

NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIF = re.compile(r"^(\d{8})([A-Z])$")
_NIE = re.compile(r"^([XYZ])(\d{7})([A-Z])$")
_CIF = re.compile(r"^([ABCDEFGHJNPQRSUVW])(\d{7})([0-9A-J])$")


def normalise_tax_id(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value).upper().removeprefix("ES")


def is_valid_spanish_tax_id(value: str) -> bool:
    code = normalise_tax_id(value)
    if match := _NIF.match(code):
        return NIF_LETTERS[int(match[1]) % 23] == match[2]
    if match := _NIE.match(code):
        number = "XYZ".index(match[1]) * 10_000_000 + int(match[2])
        return NIF_LETTERS[number % 23] == match[3]
    if match := _CIF.match(code):
        return match[3] in _cif_controls(match[2], match[1])
    return False


def _cif_controls(digits: str, kind: str) -> set[str]:
    total = sum(int(d) for d in digits[1::2])
    for d in digits[0::2]:
        total += sum(divmod(int(d) * 2, 10))
    control = (10 - total % 10) % 10
    letter = "JABCDEFGHI"[control]
    if kind in "PQRSNW":
        return {letter}
    if kind in "ABEH":
        return {str(control)}
    return {str(control), letter}


def nif_for(number: int) -> str:
    """A valid NIF for an 8-digit number (sample data)."""
    return f"{number:08d}{NIF_LETTERS[number % 23]}"
