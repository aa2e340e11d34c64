"""The rank plot's data: ranks by the final value under the mode, ties, sampling and non-finite finals."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tunelab import analysis
from tunelab.base import InvalidInputError
from tunelab.trial import Trial, TrialState


def trial(i: int, final: float | None, status: TrialState = TrialState.SUCCEEDED, **params: object) -> Trial:
    return Trial(id=f"t{i}", sequence=i, parameters=params or {"x": i}, status=status, final=final)


def test_rank_one_is_the_best_under_either_mode() -> None:
    trials = [trial(0, 0.5), trial(1, 0.9), trial(2, 0.1), trial(3, None, TrialState.FAILED)]
    assert analysis.final_ranks(trials, "maximize") == {"t1": 1, "t0": 2, "t2": 3}
    assert analysis.final_ranks(trials, "minimize") == {"t2": 1, "t0": 2, "t1": 3}


def test_equal_finals_share_the_better_rank() -> None:
    trials = [trial(0, 0.5), trial(1, 0.7), trial(2, 0.5), trial(3, 0.2)]
    assert analysis.final_ranks(trials, "maximize") == {"t1": 1, "t0": 2, "t2": 2, "t3": 4}


def test_non_finite_finals_are_not_ranked() -> None:
    trials = [trial(0, math.nan), trial(1, math.inf), trial(2, 1.0), trial(3, -math.inf)]
    data = analysis.rank_plot(trials, "maximize")
    assert data["trial_ids"] == ["t2"]
    assert data["rank"] == [1]
    assert data["total"] == 1


def test_rows_follow_the_dimensions_and_carry_final_and_rank() -> None:
    trials = [trial(0, 0.3, lr=0.1, opt="sgd"), trial(1, 0.8, lr=0.01, opt="adam"), trial(2, 0.5, lr=0.001, opt="sgd")]
    data = analysis.rank_plot(trials, "maximize")
    assert [d["key"] for d in data["dimensions"]] == ["lr", "opt"]
    assert data["rows"] == [[0.1, "sgd"], [0.01, "adam"], [0.001, "sgd"]]
    assert data["final"] == [0.3, 0.8, 0.5]
    assert data["rank"] == [3, 1, 2]
    assert data["sampled"] is False


def test_ranks_are_over_every_trial_when_rows_are_sampled() -> None:
    trials = [trial(i, (i * 7919 % 1000) / 1000) for i in range(500)]
    data = analysis.rank_plot(trials, "minimize", max_rows=40)
    assert data["sampled"] is True
    assert data["total"] == 500
    assert len(data["rows"]) == 40
    everything = analysis.final_ranks(trials, "minimize")
    assert data["rank"] == [everything[i] for i in data["trial_ids"]]
    assert 1 in data["rank"]  # the best is always kept
    assert max(data["rank"]) > 40  # ranks are not renumbered over the sample


def test_bad_mode_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="maximize or minimize"):
        analysis.rank_plot([], "upward")


@given(st.lists(st.floats(-10, 10) | st.none(), max_size=60), st.sampled_from(["maximize", "minimize"]))
def test_a_better_final_never_has_a_worse_rank(finals: list[float | None], mode: str) -> None:
    trials = [trial(i, value) for i, value in enumerate(finals)]
    ranks = analysis.final_ranks(trials, mode)
    scored = {t.id: t.final for t in trials if t.final is not None}
    assert set(ranks) == set(scored)
    for a, fa in scored.items():
        for b, fb in scored.items():
            if fa == fb:
                assert ranks[a] == ranks[b]
            elif (fa > fb) == (mode == "maximize"):  # type: ignore[operator]
                assert ranks[a] < ranks[b]
    if ranks:
        assert min(ranks.values()) == 1
        assert max(ranks.values()) <= len(ranks)
