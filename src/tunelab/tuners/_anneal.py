"""NNI's ``Anneal`` tuner (hyperopt's annealing algorithm, re-implemented).

Each proposal starts from a good earlier trial, picked among the best with a rank drawn from a geometric
distribution (mean ``avg_best_idx``), and perturbs every active dim around it: numeric coordinates within
a window that shrinks as ``1 / (1 + shrink_coef * n)``, categorical ones resampled with that same
probability. Dims the parent trial did not use (another branch of a nested choice) are drawn from the
prior. The warm-up is ``n_startup_jobs`` space-filling points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from tunelab.space import SearchSpace
from tunelab.tuners._args import check_int, check_number
from tunelab.tuners._base import History, Tuner
from tunelab.tuners._dedup import Deduplicator
from tunelab.tuners._history import LossTable
from tunelab.tuners._startup import WarmupSequence


class AnnealTuner(Tuner):
    """``Anneal`` with NNI's class args ``optimize_mode`` (default ``'minimize'``) and ``seed``.

    NNI passes hyperopt's defaults; they are exposed here as ``avg_best_idx`` (2.0), ``shrink_coef``
    (0.1) and ``n_startup_jobs`` (10).
    """

    default_optimize_mode = "minimize"

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        avg_best_idx: float = 2.0,
        shrink_coef: float = 0.1,
        n_startup_jobs: int = 10,
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self.avg_best_idx = check_number("avg_best_idx", avg_best_idx, low=0.0)
        self.shrink_coef = check_number("shrink_coef", shrink_coef, low=0.0)
        self.n_startup_jobs = check_int("n_startup_jobs", n_startup_jobs, low=0)
        self._reset()

    def _reset(self) -> None:
        self._dedup = Deduplicator(self.space)
        self._table = LossTable(self)
        self._warmup = WarmupSequence(self.space, self.seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._reset()

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        rows, losses = self._table.update(history)
        n = len(losses)
        if n < max(self.n_startup_jobs, 1):
            vector = self._warmup.vector(len(history.finished) + len(history.pending))
        else:
            order = np.argsort(losses, kind="stable")
            rank = min(int(self.rng.geometric(1.0 / (1.0 + self.avg_best_idx))) - 1, n - 1)
            parent = rows[order[rank]]
            vector = self._perturb(parent, 1.0 / (1.0 + self.shrink_coef * n))
        params = self.space.decode(vector)
        if self._dedup.accept(params):
            return params
        return self._dedup.fresh(self.rng, tuner="Anneal")

    def _perturb(self, parent: np.ndarray, shrink: float) -> np.ndarray:
        vector = self.space.random_vector(self.rng)  # prior values for dims the parent lacks
        for dim in self.space.dims:
            value = parent[dim.index]
            if np.isnan(value):
                continue
            if dim.categorical:
                if self.rng.random() >= shrink:
                    vector[dim.index] = value
            elif dim.normal:
                # in standard-normal space, a normal step of width ``shrink`` around the parent
                z = float(ndtri(min(max(value, 1e-12), 1 - 1e-12))) + shrink * self.rng.normal()
                vector[dim.index] = float(ndtr(z))
            else:
                low, high = max(0.0, value - shrink / 2), min(1.0, value + shrink / 2)
                vector[dim.index] = self.rng.uniform(low, high)
        return vector
