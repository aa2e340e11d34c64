"""Reading ``objectives``: the accepted forms, and a clear error for every kind of mistake."""

from __future__ import annotations

import math

import pytest

from tunelab.base import ConfigError
from tunelab.objectives import Constraint, Objective, objective_metric_problem, parse_objectives


def test_long_and_short_forms_read_the_same() -> None:
    long = parse_objectives([
        {"name": "acc", "mode": "maximize"},
        {"name": "latency_ms", "mode": "minimize", "constraint": "<= 20"},
        {"name": "size_mb", "constraint": ">=0.5"},
    ])
    short = parse_objectives(["acc:max", "latency_ms:minimize <= 20", "size_mb >= 0.5"])
    assert long == short
    assert long is not None
    assert long.names == ("acc", "latency_ms")
    assert long.required == ("acc", "latency_ms", "size_mb")
    assert long.objectives[2] == Objective("size_mb", None, Constraint(">=", 0.5))
    assert parse_objectives(long.to_list()) == long
    assert long.multi
    assert long.constrained
    assert long.needs_multi_objective_tuner


def test_losses_violation_and_feasibility() -> None:
    spec = parse_objectives(["acc:maximize", "latency_ms:minimize <= 20"])
    assert spec is not None
    assert spec.losses({"acc": 0.9, "latency_ms": 30}) == (-0.9, 30.0)
    assert spec.violation({"acc": 0.9, "latency_ms": 30}) == 10.0
    assert spec.feasible({"acc": 0.9, "latency_ms": 20})
    assert spec.violation({"acc": 0.9}) == math.inf


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ([], ["objectives: must be a non-empty list"]),
        ("acc", ["must be a non-empty list", "write e.g."]),
        ([{"name": "acc"}], ["objectives[0].mode: missing for 'acc'"]),
        ([{"name": "acc", "mode": "up"}], ['objectives[0].mode: must be "maximize" or "minimize"', "'up'"]),
        (["acc:maximize", "acc:minimize"], ["objectives[1]", "contradictory modes"]),
        (["acc:maximize", "acc:maximize"], ["listed twice"]),
        ([{"nme": "acc"}], ["objectives[0].nme: unknown key", 'did you mean "name"']),
        ([{"name": "", "mode": "max"}], ["objectives[0].name: must be the metric key"]),
        (["lat <= x"], ["bound must be a finite number", "'x'"]),
        (["lat <= 3"], ["every entry is a constraint only"]),
        ([{"name": "lat", "mode": "min", "constraint": "acc <= 3"}], ["bounds 'acc', not 'lat'"]),
        ([42], ["objectives[0]: must be a mapping or a string"]),
    ],
)
def test_bad_objectives_name_the_entry_and_the_fix(value: object, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_objectives(value)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_metric_check_names_the_missing_or_bad_key() -> None:
    names = ("acc", "latency_ms")
    assert objective_metric_problem({"acc": 0.9, "latency_ms": 3}, names) is None
    assert "lacks the objective 'latency_ms'" in str(objective_metric_problem({"acc": 0.9}, names))
    assert "must be a dict" in str(objective_metric_problem(0.9, names))
    assert "'acc' must be a number, got str" in str(objective_metric_problem({"acc": "x", "latency_ms": 1}, names))
    assert "cannot be ranked" in str(objective_metric_problem({"acc": math.nan, "latency_ms": 1}, names))
    assert "must be a number, got bool" in str(objective_metric_problem({"acc": True, "latency_ms": 1}, names))
