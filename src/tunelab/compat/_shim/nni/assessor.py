"""``nni.assessor``: the base class of NNI custom assessors and ``AssessResult`` (NNI 3.0's shapes)."""

from __future__ import annotations

from enum import Enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class AssessResult(Enum):
    Good = True
    Bad = False


class Assessor:
    def assess_trial(self, trial_job_id: str, trial_history: list[Any]) -> AssessResult:
        raise NotImplementedError("Assessor: assess_trial not implemented")

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        pass

    def load_checkpoint(self) -> None:
        pass

    def save_checkpoint(self) -> None:
        pass

    def _on_exit(self) -> None:
        pass

    def _on_error(self) -> None:
        pass
