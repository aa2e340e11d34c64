"""``nni.assessor``: the base class of NNI custom assessors and ``AssessResult`` (NNI 3.0's shapes)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from nni.tuner import Recoverable
from nni.typehint import TrialMetric

__all__ = ["AssessResult", "Assessor", "Recoverable", "TrialMetric"]


class AssessResult(Enum):
    Good = True
    Bad = False


class Assessor(Recoverable):
    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        raise NotImplementedError("Assessor: assess_trial not implemented")

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        pass

    def _on_exit(self) -> None:
        pass

    def _on_error(self) -> None:
        pass
