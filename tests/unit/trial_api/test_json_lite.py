"""The trial-side JSON reader/writer agrees with the standard library on everything tunelab writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunelab.trial_api import _json_lite

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(documents)
def test_loads_reads_what_json_dumps_writes(value: Any) -> None:
    assert _json_lite.loads(json.dumps(value)) == value
    assert _json_lite.loads(json.dumps(value, indent=2)) == value


@given(documents)
def test_dumps_is_read_back_by_json(value: Any) -> None:
    assert json.loads(_json_lite.dumps(value)) == value


def test_non_finite_numbers_round_trip() -> None:
    text = _json_lite.dumps({"a": math.nan, "b": math.inf, "c": -math.inf})
    loaded = json.loads(text)
    assert math.isnan(loaded["a"])
    assert loaded["b"] == math.inf
    assert loaded["c"] == -math.inf
    assert math.isnan(_json_lite.loads(text)["a"])


@pytest.mark.parametrize("bad", ['{"a": }', "[1, 2", '{"a" 1}', "tru", '{"a": 1} x'])
def test_malformed_input_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        _json_lite.loads(bad)
