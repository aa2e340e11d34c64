"""Grid enumeration: NNI's epoch order and refinement, nested choices, finite spaces end."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import pytest

from tunelab.space import params_key, parse_search_space


def test_nni_documented_example_order() -> None:
    # The example from NNI's gridsearch_tuner.py: x choice(5, 7), y normal(0, 1), z quniform(2, 3, 1).
    space = parse_search_space(
        {
            "x": {"_type": "choice", "_value": [5, 7]},
            "y": {"_type": "normal", "_value": [0, 1]},
            "z": {"_type": "quniform", "_value": [2, 3, 1]},
        }
    )
    q1 = NormalDist().inv_cdf(0.25)
    got = [(p["x"], round(p["y"], 6), p["z"]) for p in itertools.islice(space.grid(), 12)]
    q1 = round(q1, 6)
    expected = [
        (5, 0.0, 2.0),
        (7, 0.0, 2.0),
        # epoch 2: y gains the quartiles, z gains 3 (u=3/4); only combinations with a new point
        (5, 0.0, 3.0),
        (5, q1, 2.0),
        (5, q1, 3.0),
        (5, -q1, 2.0),
        (5, -q1, 3.0),
        (7, 0.0, 3.0),
        (7, q1, 2.0),
        (7, q1, 3.0),
        (7, -q1, 2.0),
        (7, -q1, 3.0),
    ]
    assert got == expected


def test_uniform_refines_midpoints_then_quartiles_then_eighths() -> None:
    space = parse_search_space({"x": {"_type": "uniform", "_value": [0, 8]}})
    values = [p["x"] for p in itertools.islice(space.grid(), 7)]
    assert values == [4.0, 2.0, 6.0, 1.0, 3.0, 5.0, 7.0]


def test_loguniform_refines_in_log_space() -> None:
    space = parse_search_space({"x": {"_type": "loguniform", "_value": [1, 10000]}})
    values = [p["x"] for p in itertools.islice(space.grid(), 3)]
    assert values == pytest.approx([100.0, 10.0, 1000.0])


def test_finite_grid_covers_every_value_once_and_ends() -> None:
    space = parse_search_space(
        {
            "a": {"_type": "choice", "_value": ["x", "y", "z"]},
            "b": {"_type": "randint", "_value": [0, 4]},
            "c": {"_type": "quniform", "_value": [2, 10, 5]},
        }
    )
    points = list(space.grid())
    keys = {params_key(p) for p in points}
    assert len(points) == len(keys) == 3 * 4 * 3
    assert {p["c"] for p in points} == {2.0, 5.0, 10.0}
    assert all(space.contains(p) == [] for p in points)


def test_quniform_grid_reaches_every_value() -> None:
    space = parse_search_space({"a": {"_type": "quniform", "_value": [0, 10, 2.5]}})
    assert sorted(p["a"] for p in space.grid()) == [0.0, 2.5, 5.0, 7.5, 10.0]


def test_nested_choice_grid_enumerates_each_branch() -> None:
    space = parse_search_space(
        {
            "m": {
                "_type": "choice",
                "_value": [
                    {"_name": "a", "d": {"_type": "randint", "_value": [0, 2]}},
                    {"_name": "b"},
                ],
            },
            "k": {"_type": "choice", "_value": [1, 2]},
        }
    )
    assert list(space.grid()) == [
        {"m": {"_name": "a", "d": 0}, "k": 1},
        {"m": {"_name": "a", "d": 0}, "k": 2},
        {"m": {"_name": "a", "d": 1}, "k": 1},
        {"m": {"_name": "a", "d": 1}, "k": 2},
        {"m": {"_name": "b"}, "k": 1},
        {"m": {"_name": "b"}, "k": 2},
    ]


def test_continuous_grid_is_unbounded_and_distinct() -> None:
    space = parse_search_space(
        {"x": {"_type": "normal", "_value": [0, 1]}, "y": {"_type": "lognormal", "_value": [0, 1]}}
    )
    points = list(itertools.islice(space.grid(), 500))
    assert len({params_key(p) for p in points}) == 500
    assert all(math.isfinite(p["x"]) and p["y"] > 0 for p in points)


def test_empty_space_grid_is_one_empty_point() -> None:
    assert list(parse_search_space({}).grid()) == [{}]
