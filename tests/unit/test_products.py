"""Variant attributes are stored and hashed as one JSON text: built column-wise, it must be the
very text json.dumps writes, or an upgrade would turn every variant 'changed'."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from domain.products import ATTRIBUTES, json_objects

cells = st.one_of(st.just(""), st.sampled_from(["Rojo", "Azul marino", "XL"]), st.text(max_size=8))


@given(st.lists(st.tuples(cells, cells), max_size=30))
def test_attributes_are_the_json_dumps_text(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=list(ATTRIBUTES), dtype=object)
    expected = [
        json.dumps({k: v for k, v in zip(ATTRIBUTES, row, strict=True) if v}, ensure_ascii=False, sort_keys=True)
        for row in rows
    ]
    assert json_objects(frame, ATTRIBUTES).tolist() == expected
