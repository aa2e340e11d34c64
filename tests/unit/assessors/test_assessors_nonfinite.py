"""Non-finite intermediate results are never used to assess (docs/json.md): they neither rank nor move
medians; a trial is judged on its finite values."""

from __future__ import annotations

import math

from tunelab.assessors import AshaAssessor, MedianstopAssessor


def feed(assessor: object, trial: str, curve: list[float]) -> list[bool]:
    return [assessor.assess_trial(trial, curve[: i + 1]) for i in range(len(curve))]  # type: ignore[attr-defined]


def test_medianstop_judges_a_trial_on_its_finite_values() -> None:
    a = MedianstopAssessor()
    for trial, curve in (("t1", [0.5, 0.5, 0.5]), ("t2", [0.7, 0.7, 0.7])):
        feed(a, trial, curve)
        a.trial_end(trial, True)
    # median at each step is 0.6: a NaN first step must not hide the good values after it
    assert feed(a, "t3", [math.nan, 0.65, 0.66]) == [True, True, True]


def test_medianstop_completed_curves_with_infinities_do_not_move_the_median() -> None:
    a = MedianstopAssessor()
    for trial, curve in (("t1", [0.5, math.inf, 0.5]), ("t2", [0.7, 0.7, -math.inf]), ("t3", [0.6, 0.6, 0.6])):
        feed(a, trial, curve)
        a.trial_end(trial, True)
    # finite running averages: t1 0.5, t2 0.7, t3 0.6 at every step; the median is 0.6
    assert feed(a, "low", [0.55, 0.55, 0.55]) == [False, False, False]
    assert feed(a, "high", [0.65, 0.65, 0.65]) == [True, True, True]


def test_asha_never_ranks_an_infinity() -> None:
    a = AshaAssessor(min_resource=1, reduction_factor=2)
    assert feed(a, "t1", [0.5]) == [True]
    assert feed(a, "t2", [math.inf]) == [False]  # a failed evaluation, like NaN
    assert feed(a, "t3", [0.6]) == [True]  # best of the finite values 0.5 and 0.6
