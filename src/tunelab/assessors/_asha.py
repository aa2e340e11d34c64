"""``ASHA``: asynchronous successive halving as an assessor (no brackets to wait for).

Rungs sit at ``min_resource * reduction_factor^k`` intermediate results (up to ``max_resource``). When a
trial reaches a rung, its value there joins that rung's record, and the trial goes on only if it ranks in
the top ``1 / reduction_factor`` of the values recorded at the rung so far (at least the best one); a
trial that is alone at a rung goes on. Decisions never wait for other trials, so slots stay busy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tunelab.assessors._base import Assessor
from tunelab.assessors._checks import check_int, check_number


class AshaAssessor(Assessor):
    """``ASHA`` with class args ``optimize_mode`` ('maximize'), ``min_resource`` (1), ``reduction_factor``
    (3) and ``max_resource`` (None: no last rung)."""

    def __init__(
        self,
        optimize_mode: str = "maximize",
        min_resource: int = 1,
        reduction_factor: float = 3,
        max_resource: int | None = None,
    ) -> None:
        super().__init__(optimize_mode=optimize_mode)
        self.min_resource = check_int("min_resource", min_resource, low=1)
        self.reduction_factor = check_number("reduction_factor", reduction_factor, low=1.0 + 1e-9)
        self.max_resource = None if max_resource is None else check_int("max_resource", max_resource, low=1)
        self._rungs: dict[int, dict[str, float]] = {}

    def rung_of(self, step: int) -> int | None:
        """The rung index whose resource is exactly ``step`` results, else ``None``."""
        if step < self.min_resource or (self.max_resource is not None and step >= self.max_resource):
            return None
        k = round(math.log(step / self.min_resource) / math.log(self.reduction_factor))
        return k if round(self.min_resource * self.reduction_factor**k) == step else None

    def assess_trial(self, trial_job_id: str, trial_history: Sequence[float]) -> bool:
        rung = self.rung_of(len(trial_history))
        if rung is None:
            return True
        value = float(trial_history[-1])
        if not math.isfinite(value):
            return False  # a failed evaluation; never ranked against the rung (docs/json.md)
        record = self._rungs.setdefault(rung, {})
        record[trial_job_id] = value
        if len(record) <= 1:
            return True
        sign = -1.0 if self.optimize_mode == "maximize" else 1.0
        ranked = sorted(sign * v for v in record.values())
        keep = max(int(len(ranked) // self.reduction_factor), 1)
        return sign * value <= ranked[keep - 1]
