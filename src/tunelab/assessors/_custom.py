"""Custom assessors from configs: a tunelab :class:`Assessor` subclass or an NNI-style class unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tunelab.assessors._base import Assessor
from tunelab.base import instantiate, load_class


class NniAssessorAdapter(Assessor):
    """Wraps an object with NNI's ``assess_trial``/``trial_end``; ``AssessResult.Good``/``Bad`` or a bool."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def assess_trial(self, trial_job_id: str, trial_history: Sequence[float]) -> bool:
        result = self.inner.assess_trial(trial_job_id, list(trial_history))
        return bool(getattr(result, "value", result))  # AssessResult.Good.value is True

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        self.inner.trial_end(trial_job_id, success)


def load_custom_assessor(
    class_name: str, code_directory: str | Path | None, class_args: Mapping[str, Any] | None = None
) -> Assessor:
    """Load ``class_name`` (``module.Class``) from ``code_directory``; ConfigError naming the field."""
    cls = load_class("assessor", class_name, code_directory)
    inner = instantiate("assessor", cls, dict(class_args or {}))
    return inner if isinstance(inner, Assessor) else NniAssessorAdapter(inner)
