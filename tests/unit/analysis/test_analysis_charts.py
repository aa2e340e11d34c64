"""Chart-data functions: best-so-far, downsampling bounds, axes, importance, curves, timeline, compare."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunelab import analysis
from tunelab.base import InvalidInputError
from tunelab.trial import Metric, MetricKind, Trial, TrialState


def trial(i: int, final: float | None, status: TrialState = TrialState.SUCCEEDED, **params: object) -> Trial:
    return Trial(id=f"t{i}", sequence=i, parameters=params or {"x": i}, status=status, final=final,
                 started_at=float(i), ended_at=float(i) + 1 + i % 3 if status is not TrialState.RUNNING else None)


def test_public_names_are_pinned() -> None:
    assert analysis.__all__ == sorted(analysis.__all__)
    assert "optimization_history" in analysis.__all__


def test_history_best_so_far_follows_the_mode() -> None:
    trials = [trial(0, 0.5), trial(1, 0.3), trial(2, 0.7), trial(3, None, TrialState.FAILED), trial(4, 0.6)]
    up = analysis.optimization_history(trials, "maximize")
    assert up["best"]["value"] == [0.5, 0.7, 0.7]
    assert up["best"]["sequence"] == [0, 2, 4]
    down = analysis.optimization_history(trials, "minimize")
    assert down["best"]["value"] == [0.5, 0.3, 0.3]
    assert up["points"]["sequence"] == [0, 1, 2, 4]


def test_history_best_so_far_counts_only_the_trials_that_may_lead() -> None:
    trials = [trial(0, 0.5), trial(1, 0.9), trial(2, 0.7), trial(3, 0.6)]
    data = analysis.optimization_history(trials, "maximize", may_lead=lambda t: t.sequence != 1)
    assert data["points"]["value"] == [0.5, 0.9, 0.7, 0.6]  # an infeasible trial is still drawn
    assert (data["best"]["sequence"], data["best"]["value"]) == ([0, 2, 3], [0.5, 0.7, 0.7])
    assert data["constrained"] is True
    none = analysis.optimization_history(trials, "maximize", may_lead=lambda t: False)
    assert (none["total"], none["best"]["value"]) == (4, [])
    assert analysis.optimization_history(trials, "maximize")["constrained"] is False


def test_history_skips_non_finite_values() -> None:
    trials = [trial(0, math.nan), trial(1, math.inf), trial(2, 1.0)]
    assert analysis.optimization_history(trials, "maximize")["points"]["value"] == [1.0]


def test_history_downsampling_keeps_every_improvement_and_stays_bounded() -> None:
    trials = [trial(i, (i * 7919 % 1000) / 1000 + i / 10_000) for i in range(10_000)]
    data = analysis.optimization_history(trials, "maximize", max_points=500)
    assert data["sampled"] is True
    assert data["total"] == 10_000
    kept = set(data["points"]["sequence"])
    assert set(data["best"]["sequence"][:-1]) <= kept
    assert len(kept) <= 500 + len(data["best"]["sequence"])


def test_bad_mode_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="maximize or minimize"):
        analysis.optimization_history([], "upward")


@given(st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=400), st.integers(3, 100))
def test_lttb_keeps_ends_and_respects_the_bound(ys: list[float], max_points: int) -> None:
    xs = [float(i) for i in range(len(ys))]
    kept = analysis.lttb_indices(xs, ys, max_points)
    assert len(kept) == min(len(ys), max_points)
    assert kept == sorted(set(kept))
    if ys:
        assert kept[0] == 0
        assert kept[-1] == len(ys) - 1


def test_stride_indices_spread_evenly() -> None:
    assert analysis.stride_indices(10, 4) == [0, 3, 6, 9]
    assert analysis.stride_indices(3, 10) == [0, 1, 2]


def test_parallel_axes_and_nested_choices() -> None:
    trials = [
        trial(0, 0.1, lr=1e-4, model={"_name": "cnn", "k": 3}),
        trial(1, 0.2, lr=1e-1, model={"_name": "mlp"}),
        trial(2, 0.3, lr=1e-2, model={"_name": "cnn", "k": 5}),
    ]
    data = analysis.parallel_coordinates(trials, "maximize")
    axes = {a["key"]: a for a in data["dimensions"]}
    assert axes["lr"]["log"] is True
    assert axes["model._name"] == {"key": "model._name", "type": "categorical", "categories": ["cnn", "mlp"]}
    k_index = [a["key"] for a in data["dimensions"]].index("model.k")
    assert [row[k_index] for row in data["rows"]] == [3, None, 5]
    assert [row[-1] for row in data["rows"]] == [0.1, 0.2, 0.3]


def test_parallel_sample_keeps_the_best_trials() -> None:
    trials = [trial(i, float(i)) for i in range(1000)]
    data = analysis.parallel_coordinates(trials, "maximize", max_rows=100)
    assert data["sampled"] is True
    assert len(data["rows"]) <= 100
    assert {f"t{i}" for i in range(975, 1000)} <= set(data["trial_ids"])


def test_importance_finds_the_parameter_that_matters() -> None:
    trials = [trial(i, float(i % 10) + 0.01 * (i % 3), signal=i % 10, noise=(i * 37) % 11) for i in range(200)]
    ranked = analysis.parameter_importance(trials)["importance"]
    assert ranked[0]["key"] == "signal"
    assert ranked[0]["importance"] > 0.9
    assert math.isclose(sum(r["importance"] for r in ranked), 1.0)


def test_importance_needs_a_few_trials() -> None:
    assert analysis.parameter_importance([trial(0, 1.0)])["importance"] == []


def test_curves_are_thinned_per_trial() -> None:
    metrics = {"a": [Metric("a", MetricKind.PERIODICAL, s, float(s % 7), s, 0.0) for s in range(100)],
               "b": [Metric("b", MetricKind.PERIODICAL, 0, math.nan, None, 0.0),
                     Metric("b", MetricKind.FINAL, 0, 1.0, 1.0, 0.0)]}
    data = analysis.intermediate_curves(metrics, max_points=10)
    assert [c["trial_id"] for c in data["curves"]] == ["a", "b"]
    assert len(data["curves"][0]["sequence"]) == 10
    assert data["curves"][0]["total"] == 100
    assert data["curves"][1]["value"] == []


def test_timeline_and_histogram() -> None:
    trials = [trial(i, 1.0) for i in range(5)] + [trial(5, None, TrialState.RUNNING)]
    data = analysis.timeline(trials, now=100.0, max_rows=3)
    assert data["total"] == 6
    assert data["sampled"] is True
    assert data["trial_id"] == ["t3", "t4", "t5"]
    assert data["end"][-1] == 100.0
    assert sum(data["histogram"]["counts"]) == 5


def test_compare_flags_differences() -> None:
    data = analysis.compare_trials([trial(0, 1.0, lr=0.1, opt="sgd"), trial(1, 1.0, lr=0.2, opt="sgd")])
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["lr"]["differs"] is True
    assert rows["opt"]["differs"] is False
    assert rows["final"]["values"] == [1.0, 1.0]


def test_columns_list_parameters_and_metric_keys() -> None:
    trials = [Trial(id="a", sequence=0, parameters={"m": {"_name": "x", "k": 1}}, final_data={"acc": 1, "loss": 0})]
    assert analysis.trial_columns(trials) == {"parameters": ["m._name", "m.k"], "metrics": ["acc", "loss"]}
