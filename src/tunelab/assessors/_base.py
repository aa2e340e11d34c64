"""The assessor seam: early-stopping rules over intermediate results, NNI's method names."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from tunelab.base import InvalidInputError


class Assessor(ABC):
    """Decides whether a running trial should go on, from its intermediate results.

    Same methods as NNI's ``nni.assessor.Assessor`` so custom NNI assessors run unchanged: the manager
    calls :meth:`assess_trial` after each intermediate result and :meth:`trial_end` once per trial.
    """

    default_optimize_mode = "maximize"

    def __init__(self, *, optimize_mode: str | None = None) -> None:
        mode = (optimize_mode or self.default_optimize_mode).lower()
        if mode not in ("maximize", "minimize"):
            raise InvalidInputError(
                f'assessor.classArgs.optimize_mode: must be "maximize" or "minimize", got {optimize_mode!r}'
            )
        self.optimize_mode = mode

    @abstractmethod
    def assess_trial(self, trial_job_id: str, trial_history: Sequence[float]) -> bool:
        """True (Good) to let the trial continue, False (Bad) to stop it early."""

    def trial_end(self, trial_job_id: str, success: bool) -> None:  # noqa: B027 - optional hook
        """Called once when the trial finishes, whatever its state."""
