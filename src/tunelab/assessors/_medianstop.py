"""NNI's ``Medianstop`` assessor: stop a trial whose best result so far is worse than the median of the
completed trials' running averages at the same step (the median stopping rule of Google Vizier)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tunelab.assessors._base import Assessor
from tunelab.assessors._checks import check_int


class MedianstopAssessor(Assessor):
    """``Medianstop`` with NNI's class args ``optimize_mode`` ('maximize') and ``start_step`` (0).

    Only successful trials count as completed. Before ``start_step`` results, or while no completed trial
    reached the current step, every trial goes on. NaN and infinite results are skipped: a trial is judged
    on its best finite result, against running averages of finite results.
    """

    def __init__(self, optimize_mode: str = "maximize", start_step: int = 0) -> None:
        super().__init__(optimize_mode=optimize_mode)
        self.start_step = check_int("start_step", start_step, low=0)
        self._running: dict[str, list[float]] = {}
        self._completed_avg: dict[str, list[float]] = {}

    def assess_trial(self, trial_job_id: str, trial_history: Sequence[float]) -> bool:
        history = [float(v) for v in trial_history]
        self._running[trial_job_id] = history
        step = len(history)
        if step == 0 or step < self.start_step:
            return True
        # Non-finite results are never used to assess (docs/json.md): judge on the finite ones.
        at_step = [avg[step - 1] for avg in self._completed_avg.values()
                   if len(avg) >= step and math.isfinite(avg[step - 1])]
        finite = [v for v in history if math.isfinite(v)]
        if not at_step or not finite:
            return True
        # NNI's median of an even count is the middle value on the lenient side (the lower one when
        # maximizing, the upper when minimizing), not the mean of the two middles.
        at_step.sort()
        if self.optimize_mode == "maximize":
            return max(finite) >= at_step[(len(at_step) - 1) // 2]
        return min(finite) <= at_step[len(at_step) // 2]

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        history = self._running.pop(trial_job_id, None)
        if success and history:
            total, count, averages = 0.0, 0, []
            for value in history:
                if math.isfinite(value):  # the running average of the finite values (NaN until one)
                    total, count = total + value, count + 1
                averages.append(total / count if count else math.nan)
            self._completed_avg[trial_job_id] = averages
