"""``Auto``: the tuner used when a config names none; picks an algorithm per search space and budget.

The rule follows our quality benchmark (``benchmarks/quality.py``) and the peers' evidence (Optuna's
AutoSampler, Watanabe 2023): a Gaussian process wins on small budgets over flat spaces of numeric
parameters (with our one-hot coding, up to half categorical ones included: the ``mixed`` problem); TPE wins
on conditional (nested) or mostly categorical spaces and stays cheap for long runs. So: GP while the space
is flat, at most half categorical and the history is shorter than ``gp_max_trials``; TPE otherwise (it
reads the same history, so the switch loses nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab.objectives import ObjectiveSpec, parse_objectives
from tunelab.space import SearchSpace
from tunelab.tuners._args import check_int
from tunelab.tuners._base import History, Tuner
from tunelab.tuners._gp import GpTuner
from tunelab.tuners._motpe import MotpeTuner
from tunelab.tuners._tpe import TpeTuner


def prefers_gp(space: SearchSpace) -> bool:
    """True when a GP suits ``space``: no nested choices and at most half of the dims categorical
    (choice and randint; the GP codes them one-hot)."""
    dims = space.dims
    if not dims or any(dim.parent is not None for dim in dims):
        return False
    categorical = sum(dim.categorical for dim in dims)
    return 2 * categorical <= len(dims)


class AutoTuner(Tuner):
    """``Auto`` with class args ``optimize_mode`` ('maximize', as most NNI tuners), ``seed`` and
    ``gp_max_trials`` (200: the GP's cost grows with the cube of the history).

    With ``objectives`` that name several objectives or a constraint, Auto is multi-objective TPE (MOTPE):
    on the multi-objective benchmark (``benchmarks/quality_mo.py``) it is the strongest tunelab has.
    """

    multi_objective = True

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        gp_max_trials: int = 200,
        objectives: ObjectiveSpec | Sequence[Any] | None = None,
    ) -> None:
        self.objectives = parse_objectives(objectives)
        if self.objectives is not None and not self.objectives.needs_multi_objective_tuner:
            optimize_mode = self.objectives.primary.mode  # the registry has checked it agrees with classArgs
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self.gp_max_trials = check_int("gp_max_trials", gp_max_trials, low=0)
        self._build()

    def _build(self) -> None:
        mode = self.optimize_mode
        self._motpe: MotpeTuner | None = None
        if self.objectives is not None and self.objectives.needs_multi_objective_tuner:
            self._motpe = MotpeTuner(self.space, objectives=self.objectives, seed=self.seed)
        self._gp = GpTuner(self.space, optimize_mode=mode, seed=self.seed) if prefers_gp(self.space) else None
        self._tpe = TpeTuner(self.space, optimize_mode=mode, seed=self.seed)

    @property
    def algorithm(self) -> str:
        """The algorithm the next suggestion would come from at the start ("GP" or "TPE")."""
        if self._motpe is not None:
            return "MOTPE"
        return "GP" if self._gp is not None else "TPE"

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._build()

    def suggest(self, history: History) -> dict[str, Any]:
        if self._motpe is not None:
            return self._motpe.suggest(history)
        if self._gp is not None and len(history.finished) < self.gp_max_trials:
            return self._gp.suggest(history)
        return self._tpe.suggest(history)
