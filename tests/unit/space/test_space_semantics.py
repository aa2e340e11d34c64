"""NNI value semantics of each type, membership checks and the vector coding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tunelab.space import params_key, parse_search_space


def _values(spec: dict, n: int = 2000, seed: int = 0) -> list:
    space = parse_search_space({"x": spec})
    rng = np.random.default_rng(seed)
    return [space.sample(rng)["x"] for _ in range(n)]


def test_randint_upper_is_exclusive_and_values_are_ints() -> None:
    values = _values({"_type": "randint", "_value": [2, 5]})
    assert set(values) == {2, 3, 4}
    assert all(type(v) is int for v in values)


def test_randint_accepts_integral_floats() -> None:
    assert set(_values({"_type": "randint", "_value": [1.0, 3.0]})) == {1, 2}


def test_quniform_examples_from_nni_docs() -> None:
    assert set(_values({"_type": "quniform", "_value": [2, 10, 5]})) == {2.0, 5.0, 10.0}
    assert set(_values({"_type": "quniform", "_value": [0, 10, 2.5]})) == {0.0, 2.5, 5.0, 7.5, 10.0}


def test_choice_returns_the_option_itself() -> None:
    values = _values({"_type": "choice", "_value": ["relu", 3, [1, 2]]}, n=300)
    assert {params_key(v) for v in values} == {params_key(v) for v in ("relu", 3, [1, 2])}


def test_loguniform_is_uniform_in_log_space() -> None:
    values = np.log10(_values({"_type": "loguniform", "_value": [1e-4, 1]}, n=4000))
    assert values.min() >= -4
    assert values.max() <= 0
    assert abs(np.median(values) + 2) < 0.15


def test_normal_types_are_unbounded_with_their_moments() -> None:
    values = np.array(_values({"_type": "normal", "_value": [3, 2]}, n=4000))
    assert abs(values.mean() - 3) < 0.15
    assert abs(values.std() - 2) < 0.15
    logs = np.log(_values({"_type": "lognormal", "_value": [1, 0.5]}, n=4000))
    assert abs(logs.mean() - 1) < 0.05


def test_qlognormal_rounds_after_exp() -> None:
    values = _values({"_type": "qlognormal", "_value": [0, 1, 1]}, n=500)
    assert all(v >= 0 and float(v).is_integer() for v in values)


def test_nested_choice_sample_shape() -> None:
    space = parse_search_space(
        {
            "model": {
                "_type": "choice",
                "_value": [
                    {"_name": "linear"},
                    {"_name": "mlp", "width": {"_type": "randint", "_value": [8, 16]}},
                ],
            }
        }
    )
    rng = np.random.default_rng(1)
    seen = {space.sample(rng)["model"]["_name"] for _ in range(50)}
    assert seen == {"linear", "mlp"}
    params = space.decode([1.0, 3.0])
    assert params == {"model": {"_name": "mlp", "width": 11}}
    assert math.isnan(space.encode({"model": {"_name": "linear"}})[1])  # inactive conditional dim


def test_contains_reports_each_problem() -> None:
    space = parse_search_space(
        {
            "lr": {"_type": "uniform", "_value": [0.001, 0.1]},
            "bs": {"_type": "randint", "_value": [1, 4]},
            "act": {"_type": "choice", "_value": ["relu", "tanh"]},
            "q": {"_type": "quniform", "_value": [0, 10, 2]},
            "m": {
                "_type": "choice",
                "_value": [{"_name": "a", "d": {"_type": "uniform", "_value": [0, 1]}}, {"_name": "b"}],
            },
        }
    )
    assert space.contains({"lr": 0.01, "bs": 3, "act": "tanh", "q": 4.0, "m": {"_name": "a", "d": 0.5}}) == []
    problems = space.contains(
        {"lr": 0.5, "bs": 4, "act": "elu", "q": 3.0, "m": {"_name": "a", "d": 2}, "zz": 1}
    )
    text = "\n".join(problems)
    assert "lr: 0.5 is outside uniform [0.001, 0.1]" in text
    assert "bs: 4 is not an integer in randint [1, 4)" in text
    assert "act: 'elu' is not one of the choices" in text
    assert "q: 3.0 is not a multiple of q=2.0" in text
    assert "m[0].d: 2 is outside uniform [0.0, 1.0]" in text
    assert "zz: not in the search space" in text
    assert space.contains({"lr": 0.01})
    assert "bs: missing" in "\n".join(space.contains({"lr": 0.01}))
    assert space.contains({"m": {"_name": "c"}})[-1].startswith("m: _name 'c' is not one of ['a', 'b']")
    assert space.contains([1]) == ["parameters must be a dict, got list"]


def test_encode_is_lenient_and_decode_checks_shape() -> None:
    space = parse_search_space(
        {"a": {"_type": "choice", "_value": [1, 2]}, "x": {"_type": "uniform", "_value": [0, 10]}}
    )
    vector = space.encode({"a": 99, "x": 50})
    assert math.isnan(vector[0])
    assert vector[1] == 1.0
    assert np.isnan(space.encode({})).all()
    with pytest.raises(ValueError, match="NaN"):
        space.decode(vector)
    with pytest.raises(ValueError, match="vector of 2"):
        space.decode([0.0])


def test_normal_dims_use_the_cdf() -> None:
    space = parse_search_space({"x": {"_type": "normal", "_value": [5, 2]}})
    assert space.encode({"x": 5.0})[0] == pytest.approx(0.5)
    assert space.dims[0].normal
    assert space.decode([0.5]) == {"x": pytest.approx(5.0)}
    assert math.isfinite(space.decode([1.0])["x"])
    assert math.isfinite(space.decode([0.0])["x"])


def test_spaces_compare_by_content() -> None:
    spec = {"a": {"_type": "choice", "_value": [1, 2]}}
    assert parse_search_space(spec) == parse_search_space(dict(spec))
    assert hash(parse_search_space(spec)) == hash(parse_search_space(spec))
    assert parse_search_space(spec) != parse_search_space({})


def test_params_key_normalizes_json_round_trips() -> None:
    assert params_key({"a": 1, "b": (1, 2)}) == params_key({"b": [1.0, 2.0], "a": 1.0})
    assert params_key({"a": True}) != params_key({"a": 1})
    assert params_key({"a": np.float64(0.5)}) == params_key({"a": 0.5})
    assert params_key({"a": 2**60}) != params_key({"a": 2**60 + 1})
