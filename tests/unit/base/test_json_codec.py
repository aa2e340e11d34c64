"""The one JSON codec (``tunelab.base``): strict JSON out, NaN and the infinities as marker strings."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunelab.base import (
    decode_float,
    encode_float,
    encode_optional,
    json_decode,
    json_dumps,
    json_encode,
    json_loads,
)


def _strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in JSON: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(("value", "marker"), [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")])
def test_non_finite_floats_are_the_javascript_spellings(value: float, marker: str) -> None:
    assert encode_float(value) == marker
    assert json_dumps(value) == f'"{marker}"'
    assert _same(decode_float(marker), value)
    assert _same(json_loads(json_dumps({"v": value}))["v"], value)


def test_finite_values_and_none_pass_through() -> None:
    assert encode_float(0.5) == 0.5
    assert encode_optional(None) is None
    assert decode_float("nan") == "nan"  # only the three exact markers are reserved
    assert decode_float(3) == 3


def test_nested_values_numpy_scalars_and_tuples() -> None:
    value = {"a": [math.nan, (1, np.float32(math.inf))], 2: {"b": np.int64(7), "c": np.bool_(True)}}
    assert json_encode(value) == {"a": ["NaN", [1, "Infinity"]], "2": {"b": 7, "c": True}}
    text = json_dumps(value)
    assert _strict(text) == {"a": ["NaN", [1, "Infinity"]], "2": {"b": 7, "c": True}}
    decoded = json_decode(_strict(text))
    assert math.isnan(decoded["a"][0])
    assert decoded["a"][1][1] == math.inf


def test_unknown_objects_need_a_default() -> None:
    with pytest.raises(TypeError, match="cannot encode object"):
        json_dumps({"x": object()})
    assert json_dumps({"x": {1, 2}}, default=sorted) == '{"x":[1,2]}'
    assert json_dumps([np.array([1.0, math.nan])], default=lambda a: a.tolist()) == '[[1.0,"NaN"]]'


def test_indent_and_old_bare_literals_are_read() -> None:
    assert json_dumps({"a": math.nan}, indent=2) == '{\n  "a": "NaN"\n}'
    assert math.isinf(json_loads('{"a": Infinity}')["a"])  # files written before the codec
    assert math.isnan(json_loads(b'[NaN]')[0])


def test_trial_side_loads_the_codec_without_the_error_table() -> None:
    code = ("import sys, tunelab.trial_api; "
            "print('tunelab.base._json' in sys.modules, 'tunelab.base._errors' in sys.modules, 'json' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)


@given(st.floats())
def test_any_float_round_trips_as_valid_json(value: float) -> None:
    text = json_dumps(value)
    _strict(text)
    json.dumps(json.loads(text), allow_nan=False)
    assert _same(json_loads(text), value)


@given(json_values)
def test_any_plain_value_becomes_valid_json(value: Any) -> None:
    text = json_dumps(value)
    parsed = _strict(text)
    assert json_dumps(json_decode(parsed)) == text  # stable: decoding then encoding gives the same text


def test_find_non_finite_walks_nested_values() -> None:
    from tunelab.base import find_non_finite

    assert find_non_finite({"a": [1, {"b": 2.5}], "c": "x"}) is None
    assert find_non_finite({"a": [1, {"b": -math.inf}]}) == -math.inf
    assert find_non_finite(["ok", "NaN"]) == "NaN"
    assert math.isnan(find_non_finite((math.nan,)))  # type: ignore[arg-type]


def test_ascii_only_escapes_for_any_terminal() -> None:
    assert json_dumps({"name": "café"}) == '{"name":"café"}'
    assert json_dumps({"name": "café"}, ascii_only=True) == '{"name":"caf\\u00e9"}'
