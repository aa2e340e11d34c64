"""Property tests: samples lie in their space, the vector coding round-trips, q-values are on the grid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tunelab.space import Numeric, SearchSpace, params_key, parse_search_space

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-3, max_value=100, allow_nan=False, allow_infinity=False)
quantum = st.floats(min_value=0.01, max_value=10, allow_nan=False, allow_infinity=False)


@st.composite
def bounded(draw: st.DrawFn, *, log: bool, q: bool) -> dict[str, Any]:
    low = draw(st.floats(min_value=1e-4, max_value=50)) if log else draw(finite)
    high = low * draw(st.floats(min_value=1.5, max_value=1e4)) if log else low + draw(positive)
    value = [low, high, draw(quantum)] if q else [low, high]
    return {"_type": ("q" if q else "") + ("loguniform" if log else "uniform"), "_value": value}


@st.composite
def normal(draw: st.DrawFn, *, log: bool, q: bool) -> dict[str, Any]:
    mu = draw(st.floats(min_value=-2, max_value=2)) if log else draw(finite)
    sigma = draw(st.floats(min_value=0.01, max_value=1.5)) if log else draw(positive)
    value = [mu, sigma, draw(quantum)] if q else [mu, sigma]
    return {"_type": ("q" if q else "") + ("lognormal" if log else "normal"), "_value": value}


options = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.floats(-5, 5), st.booleans())
# Options equal as values ([0, 0.0]) are one option: decode returns the first, so keep them distinct.
choice = st.lists(options, min_size=1, max_size=5, unique_by=params_key).map(
    lambda v: {"_type": "choice", "_value": v}
)
randint = st.tuples(st.integers(-20, 20), st.integers(1, 30)).map(
    lambda t: {"_type": "randint", "_value": [t[0], t[0] + t[1]]}
)
leaf = st.one_of(
    choice,
    randint,
    *(bounded(log=log, q=q) for log in (False, True) for q in (False, True)),
    *(normal(log=log, q=q) for log in (False, True) for q in (False, True)),
)
names = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


def nested(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    element = st.tuples(st.integers(0, 99), st.dictionaries(names, children, max_size=3))
    return st.lists(element, min_size=1, max_size=3).map(
        lambda els: {
            "_type": "choice",
            "_value": [{"_name": f"opt{i}_{tag}", **sub} for i, (tag, sub) in enumerate(els)],
        }
    )


spec = st.recursive(leaf, nested, max_leaves=6)
spaces = st.dictionaries(names, spec, max_size=5).map(parse_search_space)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
    return type(a) is type(b) and a == b


def _walk(space: SearchSpace, params: dict[str, Any]) -> list[tuple[Numeric, Any]]:
    """Pairs (numeric parameter, its value) over the active part of ``params``."""
    out: list[tuple[Numeric, Any]] = []
    for param in space.parameters:
        value = params[param.name]
        if isinstance(param, Numeric):
            out.append((param, value))
        elif getattr(param, "subspaces", None) is not None:
            index = param.index_of(value)
            assert index is not None
            out.extend(_walk(param.subspaces[index], value))  # type: ignore[index,union-attr]
    return out


@settings(max_examples=100, deadline=None)
@given(spaces, st.integers(0, 2**32 - 1))
def test_samples_lie_in_their_space(space: SearchSpace, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(5):
        params = space.sample(rng)
        assert space.contains(params) == [], params


@settings(max_examples=100, deadline=None)
@given(spaces, st.integers(0, 2**32 - 1))
def test_encode_decode_round_trips(space: SearchSpace, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(5):
        params = space.sample(rng)
        vector = space.encode(params)
        assert vector.shape == (len(space.dims),)
        decoded = space.decode(vector)
        assert _close(decoded, params), (params, decoded)
        for dim in space.dims:
            value = vector[dim.index]
            if not math.isnan(value) and not dim.categorical:
                assert 0.0 <= value <= 1.0


@settings(max_examples=100, deadline=None)
@given(spaces, st.data())
def test_any_vector_decodes_into_the_space(space: SearchSpace, data: st.DataObject) -> None:
    unit = st.floats(min_value=0.0, max_value=1.0)
    vector = [
        data.draw(st.integers(0, (dim.cardinality or 1) - 1)) if dim.categorical else data.draw(unit)
        for dim in space.dims
    ]
    params = space.decode(vector)
    assert space.contains(params) == []


@settings(max_examples=100, deadline=None)
@given(bounded(log=False, q=True) | bounded(log=True, q=True), st.integers(0, 2**32 - 1))
def test_q_values_are_multiples_of_q_and_clipped(spec: dict[str, Any], seed: int) -> None:
    space = parse_search_space({"x": spec})
    low, high, q = spec["_value"]
    rng = np.random.default_rng(seed)
    for _ in range(20):
        x = space.sample(rng)["x"]
        assert isinstance(x, float)
        assert low <= x <= high
        on_grid = math.isclose(x / q, round(x / q), abs_tol=1e-9)
        assert on_grid or x in (low, high), (x, spec)


@settings(max_examples=100, deadline=None)
@given(normal(log=False, q=True) | normal(log=True, q=True), st.integers(0, 2**32 - 1))
def test_q_normal_values_are_multiples_of_q(spec: dict[str, Any], seed: int) -> None:
    space = parse_search_space({"x": spec})
    q = spec["_value"][2]
    rng = np.random.default_rng(seed)
    for _ in range(20):
        x = space.sample(rng)["x"]
        assert math.isclose(x / q, round(x / q), abs_tol=1e-9)
        if spec["_type"] == "qlognormal":
            assert x >= 0


@settings(max_examples=100, deadline=None)
@given(spaces, st.integers(0, 2**32 - 1))
def test_numeric_samples_respect_their_bounds(space: SearchSpace, seed: int) -> None:
    params = space.sample(np.random.default_rng(seed))
    for param, value in _walk(space, params):
        assert isinstance(value, float)
        assert math.isfinite(value)
        if not param.normal:
            assert param.low <= value <= param.high
