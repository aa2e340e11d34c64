"""Medianstop, Curvefitting and ASHA on hand-built learning curves; the registry; NNI-style custom classes."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from tunelab.assessors import (
    AshaAssessor,
    CurvefittingAssessor,
    MedianstopAssessor,
    builtin_assessors,
    create_assessor_from_config,
    load_custom_assessor,
    predict_curve,
)
from tunelab.base import ConfigError


def feed(assessor: object, trial: str, curve: list[float]) -> list[bool]:
    """Assess ``curve`` step by step as the manager does; returns each decision."""
    return [assessor.assess_trial(trial, curve[: i + 1]) for i in range(len(curve))]  # type: ignore[attr-defined]


def test_registry_has_nni_names_and_aliases() -> None:
    assert builtin_assessors() == ["ASHA", "Curvefitting", "Medianstop"]
    assert isinstance(create_assessor_from_config("medianstop", {"start_step": 2}), MedianstopAssessor)
    assert isinstance(create_assessor_from_config("CurvefittingAssessor", {}), CurvefittingAssessor)
    with pytest.raises(ConfigError, match=r"assessor.classArgs.start_stp"):
        create_assessor_from_config("Medianstop", {"start_stp": 2})
    with pytest.raises(ConfigError, match=r"start_step: must be an integer >= 0, got -1"):
        create_assessor_from_config("Medianstop", {"start_step": -1})


def test_medianstop_stops_a_trial_below_the_median_of_completed_running_averages() -> None:
    a = MedianstopAssessor(start_step=2)
    for trial, level in (("t1", 0.8), ("t2", 0.7), ("t3", 0.9)):
        assert all(feed(a, trial, [level] * 5))  # no completed trials yet: everyone goes on
    for trial in ("t1", "t2", "t3"):
        a.trial_end(trial, True)
    # median of running averages at any step is 0.8
    assert feed(a, "bad", [0.5, 0.6, 0.62]) == [True, False, False]  # step 1 < start_step
    assert all(feed(a, "good", [0.85, 0.86, 0.9]))
    a.trial_end("bad", False)  # a failed trial never joins the completed set
    assert "bad" not in a._completed_avg


def test_medianstop_minimize_and_steps_beyond_completed_curves() -> None:
    a = MedianstopAssessor(optimize_mode="minimize")
    feed(a, "t1", [1.0, 0.8])
    a.trial_end("t1", True)
    # running average of t1: [1.0, 0.9]; t2's best so far is 1.5, then 0.85 (<= 0.9 goes on)
    assert feed(a, "t2", [1.5, 0.85]) == [False, True]
    assert feed(a, "t3", [0.7, 0.6, 0.1]) == [True, True, True]  # step 3: no completed curve that long


def test_curve_prediction_recovers_a_power_law() -> None:
    curve = [0.9 - 0.5 * (i + 1) ** -0.7 for i in range(8)]
    assert predict_curve(curve, 20) == pytest.approx(0.9 - 0.5 * 20**-0.7, abs=0.01)
    assert predict_curve([0.1, 0.2], 20) is None  # too short to fit
    assert predict_curve([0.1, math.nan, 0.3], 20) is None


def test_curvefitting_stops_curves_heading_below_the_threshold() -> None:
    a = CurvefittingAssessor(epoch_num=20, start_step=6, threshold=0.95)
    best = [0.9 - 0.5 * (i + 1) ** -0.7 for i in range(20)]
    assert all(feed(a, "best", best))  # nothing completed yet
    a.trial_end("best", True)
    assert a.completed_best == pytest.approx(best[-1])
    poor = [0.6 - 0.5 * (i + 1) ** -0.7 for i in range(10)]
    decisions = feed(a, "poor", poor)
    assert decisions[:5] == [True] * 5  # before start_step
    assert decisions[-1] is False
    strong = [0.95 - 0.5 * (i + 1) ** -0.7 for i in range(10)]
    assert all(feed(a, "strong", strong))


def test_curvefitting_gap_judges_every_gap_results() -> None:
    a = CurvefittingAssessor(start_step=3, gap=3, epoch_num=10)
    a.completed_best = 10.0  # anything predicted is below 0.95 * 10
    curve = [0.1 * (i + 1) for i in range(9)]
    assert feed(a, "t", curve) == [True, True, False, True, True, False, True, True, False]


def test_asha_keeps_the_top_third_at_each_rung() -> None:
    a = AshaAssessor(min_resource=1, reduction_factor=3)
    assert [a.rung_of(s) for s in (1, 2, 3, 4, 9, 27)] == [0, None, 1, None, 2, 3]
    assert feed(a, "t1", [0.5, 0.6, 0.7]) == [True, True, True]  # alone at each rung
    assert feed(a, "t2", [0.9])[0] is True  # best of two at rung 0
    assert feed(a, "t3", [0.1])[0] is False  # worst of three: only the top 1 continues
    assert feed(a, "t4", [0.95, 0.96, 0.4]) == [True, True, False]  # rung 1: 0.4 < 0.7
    assert AshaAssessor(max_resource=3).rung_of(3) is None


def test_asha_minimize_and_nan() -> None:
    a = AshaAssessor(optimize_mode="minimize", min_resource=2, reduction_factor=2)
    assert feed(a, "t1", [5.0, 1.0]) == [True, True]
    assert feed(a, "t2", [0.0, 2.0]) == [True, False]
    assert feed(a, "t3", [0.0, math.nan]) == [True, False]


NNI_ASSESSOR = """
from nni.assessor import Assessor, AssessResult

class ThresholdAssessor(Assessor):
    def __init__(self, floor=0.5):
        self.floor = floor
        self.ended = []

    def assess_trial(self, trial_job_id, trial_history):
        return AssessResult.Good if trial_history[-1] >= self.floor else AssessResult.Bad

    def trial_end(self, trial_job_id, success):
        self.ended.append((trial_job_id, success))
"""


def test_nni_style_custom_assessor_runs_unchanged(tmp_path: Path) -> None:
    (tmp_path / "my_assessor.py").write_text(textwrap.dedent(NNI_ASSESSOR))
    a = load_custom_assessor("my_assessor.ThresholdAssessor", str(tmp_path), {"floor": 0.3})
    assert a.assess_trial("t1", [0.5]) is True
    assert a.assess_trial("t1", [0.5, 0.2]) is False
    a.trial_end("t1", False)
    assert a.inner.ended == [("t1", False)]  # type: ignore[attr-defined]


def test_custom_assessor_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"assessor.className: .* has no module part"):
        load_custom_assessor("ThresholdAssessor", str(tmp_path))
    with pytest.raises(ConfigError, match=r"assessor.className: cannot import module 'missing'"):
        load_custom_assessor("missing.Thing", str(tmp_path))
    (tmp_path / "mod.py").write_text("class Other: pass\n")
    with pytest.raises(ConfigError, match=r"has no class 'Thing'; classes there: Other"):
        load_custom_assessor("mod.Thing", str(tmp_path))
