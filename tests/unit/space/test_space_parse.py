"""Parsing and validation of NNI search spaces: every bad input names the field, the value and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import tunelab.space
from tunelab.base import SearchSpaceError
from tunelab.space import Choice, Numeric, RandInt, load_search_space, parse_search_space

ALL_TYPES: dict[str, Any] = {
    "c": {"_type": "choice", "_value": ["a", 1, 2.5]},
    "ri": {"_type": "randint", "_value": [2, 5]},
    "u": {"_type": "uniform", "_value": [0, 1]},
    "qu": {"_type": "quniform", "_value": [2, 10, 5]},
    "lu": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "qlu": {"_type": "qloguniform", "_value": [16, 1024, 16]},
    "n": {"_type": "normal", "_value": [0, 1]},
    "qn": {"_type": "qnormal", "_value": [10, 3, 2]},
    "ln": {"_type": "lognormal", "_value": [0, 1]},
    "qln": {"_type": "qlognormal", "_value": [2, 1, 1]},
}


def test_public_names_are_pinned() -> None:
    assert tunelab.space.__all__ == sorted(tunelab.space.__all__)
    assert set(tunelab.space.__all__) == {
        "Choice",
        "Dim",
        "Numeric",
        "Parameter",
        "RandInt",
        "SearchSpace",
        "load_search_space",
        "params_key",
        "parse_search_space",
    }


def test_all_ten_types_parse_with_their_semantics() -> None:
    space = parse_search_space(ALL_TYPES)
    assert space.names == tuple(ALL_TYPES)
    params = dict(zip(space.names, space.parameters, strict=True))
    assert isinstance(params["c"], Choice)
    assert params["c"].options == ("a", 1, 2.5)
    assert isinstance(params["ri"], RandInt)
    assert (params["ri"].lower, params["ri"].upper) == (2, 5)
    qu = params["qu"]
    assert isinstance(qu, Numeric)
    assert qu.q == 5
    assert not qu.log
    assert not qu.normal
    assert isinstance(params["lu"], Numeric)
    assert params["lu"].log
    ln = params["ln"]
    assert isinstance(ln, Numeric)
    assert ln.log
    assert ln.normal
    assert space.to_nni() == ALL_TYPES
    assert not space.is_empty
    assert len(space.dims) == 10


def test_to_nni_is_a_copy() -> None:
    space = parse_search_space(ALL_TYPES)
    copy = space.to_nni()
    copy["c"]["_value"].append("x")
    assert space.to_nni() == ALL_TYPES


def test_empty_space_is_valid() -> None:
    space = parse_search_space({})
    assert space.is_empty
    assert space.names == ()
    assert space.dims == ()
    assert space.to_nni() == {}


def test_nested_choice_dims_are_conditional() -> None:
    space = parse_search_space(
        {
            "model": {
                "_type": "choice",
                "_value": [
                    {"_name": "linear"},
                    {"_name": "mlp", "dropout": {"_type": "uniform", "_value": [0, 0.5]}},
                ],
            },
            "lr": {"_type": "loguniform", "_value": [1e-4, 1]},
        }
    )
    assert [d.path for d in space.dims] == ["model", "model[1].dropout", "lr"]
    model, dropout, lr = space.dims
    assert model.categorical
    assert model.cardinality == 2
    assert model.parent is None
    assert not dropout.categorical
    assert (dropout.parent, dropout.parent_option) == (0, 1)
    assert lr.parent is None
    assert not lr.normal


def test_yaml_numeric_strings_are_accepted_like_nni() -> None:
    # PyYAML reads 1e-5 as a string; NNI converts bounds with float().
    space = parse_search_space({"lr": {"_type": "loguniform", "_value": ["1e-5", "1e-1"]}})
    lr = space.parameters[0]
    assert isinstance(lr, Numeric)
    assert lr.low == pytest.approx(1e-5)


def test_batch_style_choice_of_plain_dicts_is_not_nested() -> None:
    space = parse_search_space({"p": {"_type": "choice", "_value": [{"a": 1}, {"a": 2}]}})
    choice = space.parameters[0]
    assert isinstance(choice, Choice)
    assert not choice.nested


BAD_CASES = [
    pytest.param(
        {"lr": {"_type": "unifrom", "_value": [0, 1]}},
        ["searchSpace.lr", "unifrom", 'did you mean "uniform"'],
        id="unknown-type",
    ),
    pytest.param({"lr": {"_value": [0, 1]}}, ["searchSpace.lr", '"_type"', "[0, 1]"], id="missing-type"),
    pytest.param({"lr": {"_type": "uniform"}}, ["searchSpace.lr", '"_value"', "uniform"], id="missing-value"),
    pytest.param(
        {"lr": {"_type": "uniform", "_value": [0, 1, 2]}},
        ["searchSpace.lr", "2 values", "[0, 1, 2]"],
        id="arity-uniform",
    ),
    pytest.param(
        {"lr": {"_type": "quniform", "_value": [0, 1]}},
        ["searchSpace.lr", "3 values", "[0, 1]"],
        id="arity-quniform",
    ),
    pytest.param(
        {"lr": {"_type": "loguniform", "_value": [0, 0.1]}},
        ["searchSpace.lr", "0 < low < high", "[0, 0.1]"],
        id="loguniform-zero",
    ),
    pytest.param(
        {"lr": {"_type": "qloguniform", "_value": [-1, 10, 1]}},
        ["searchSpace.lr", "0 < low", "[-1, 10, 1]"],
        id="qloguniform-negative",
    ),
    pytest.param(
        {"x": {"_type": "uniform", "_value": [1, 1]}},
        ["searchSpace.x", "low < high", "[1, 1]"],
        id="low-equals-high",
    ),
    pytest.param(
        {"x": {"_type": "quniform", "_value": [5, 1, 1]}},
        ["searchSpace.x", "low < high", "[5, 1, 1]"],
        id="low-above-high",
    ),
    pytest.param(
        {"x": {"_type": "choice", "_value": []}},
        ["searchSpace.x", "at least one option", "[]"],
        id="empty-choice",
    ),
    pytest.param(
        {"x": {"_type": "quniform", "_value": [0, 10, 0]}}, ["searchSpace.x", "q > 0", "q=0"], id="q-zero"
    ),
    pytest.param(
        {"x": {"_type": "qnormal", "_value": [0, 1, -2]}}, ["searchSpace.x", "q > 0", "q=-2"], id="q-negative"
    ),
    pytest.param(
        {"x": {"_type": "randint", "_value": [0.5, 10]}},
        ["searchSpace.x", "integers", "[0.5, 10]"],
        id="randint-non-integer",
    ),
    pytest.param(
        {"x": {"_type": "randint", "_value": [5, 5]}},
        ["searchSpace.x", "lower < upper", "[5, 5]"],
        id="randint-empty",
    ),
    pytest.param(
        {"x": {"_type": "normal", "_value": [0, 0]}},
        ["searchSpace.x", "sigma > 0", "sigma=0"],
        id="sigma-zero",
    ),
    pytest.param(
        {"x": {"_type": "lognormal", "_value": [0, -1]}},
        ["searchSpace.x", "sigma > 0", "sigma=-1"],
        id="sigma-negative",
    ),
    pytest.param(
        {"x": {"_type": "uniform", "_value": ["a", 1]}}, ["searchSpace.x", "numbers", "'a'"], id="non-number"
    ),
    pytest.param(
        {"x": {"_type": "uniform", "_value": 3}},
        ["searchSpace.x", "must be a list", "3"],
        id="value-not-list",
    ),
    pytest.param({"x": [1, 2]}, ["searchSpace.x", '"_type"', "[1, 2]"], id="spec-not-dict"),
    pytest.param(
        {
            "m": {
                "_type": "choice",
                "_value": [{"_name": "a"}, {"dropout": {"_type": "uniform", "_value": [0, 1]}}],
            }
        },
        ["searchSpace.m[1]", '"_name"', "dropout"],
        id="nested-without-name",
    ),
    pytest.param(
        {
            "m": {
                "_type": "choice",
                "_value": [
                    {"_name": "a"},
                    {"_name": "b", "dropout": {"_type": "uniform", "_value": [0.5, 0.1]}},
                ],
            }
        },
        ["searchSpace.m[1].dropout", "low < high", "[0.5, 0.1]"],
        id="nested-path",
    ),
    pytest.param(
        {"m": {"_type": "choice", "_value": [{"_name": "a"}, {"_name": "a"}]}},
        ["searchSpace.m[1]._name", "distinct", "'a'"],
        id="nested-duplicate-name",
    ),
    pytest.param([1, 2], ["searchSpace", "mapping", "list"], id="space-not-dict"),
    pytest.param(None, ["searchSpace", "mapping", "None"], id="space-none"),
]


@pytest.mark.parametrize(("space", "fragments"), BAD_CASES)
def test_bad_input_names_field_value_and_rule(space: Any, fragments: list[str]) -> None:
    with pytest.raises(SearchSpaceError) as info:
        parse_search_space(space)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert info.value.exit_code == 2


def test_where_prefix_is_used() -> None:
    with pytest.raises(SearchSpaceError, match=r"^experiment\.searchSpace\.lr: "):
        parse_search_space({"lr": {"_type": "nope", "_value": []}}, where="experiment.searchSpace")


def test_load_json_and_yaml(tmp_path: Path) -> None:
    as_json = tmp_path / "space.json"
    as_json.write_text(json.dumps(ALL_TYPES))
    assert load_search_space(as_json).to_nni() == ALL_TYPES
    as_yaml = tmp_path / "space.yml"
    as_yaml.write_text(
        "lr:\n  _type: loguniform\n  _value: [1e-5, 1e-1]\nk:\n  _type: choice\n  _value: [a, b]\n"
    )
    space = load_search_space(as_yaml)
    assert space.names == ("lr", "k")


def test_load_missing_file_names_path_and_field(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(SearchSpaceError) as info:
        load_search_space(missing)
    assert "searchSpaceFile" in str(info.value)
    assert str(missing) in str(info.value)


def test_load_invalid_syntax_and_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{ lr: [ unclosed")
    with pytest.raises(SearchSpaceError, match="neither valid JSON"):
        load_search_space(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(SearchSpaceError, match="empty"):
        load_search_space(empty)


def test_load_reports_bad_parameter_with_file_name(tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    file.write_text(json.dumps({"lr": {"_type": "loguniform", "_value": [0, 1]}}))
    with pytest.raises(SearchSpaceError, match=r"s\.json\.lr: loguniform needs 0 < low < high, got \[0, 1\]"):
        load_search_space(file)
