"""NNI's ``Evolution`` tuner: tournament selection and one-parameter mutation over a population.

The first ``population_size`` trials are space-filling points. Afterwards the population is the best
``population_size`` finished trials; each proposal picks two members at random, keeps the better one and
mutates one of its active parameters: a re-draw from the prior (nested choices: a new branch brings fresh
children) or, for half of the numeric mutations, a Gaussian step around the parent's value. Failed and NaN trials never enter the population.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunelab.space import SearchSpace
from tunelab.tuners._args import check_int
from tunelab.tuners._base import History, Tuner
from tunelab.tuners._dedup import Deduplicator
from tunelab.tuners._history import LossTable
from tunelab.tuners._startup import WarmupSequence

#: Width (unit-coordinate) of a local numeric mutation.
_STEP = 0.1


class EvolutionTuner(Tuner):
    """``Evolution`` with NNI's class args ``optimize_mode`` (default ``'maximize'``), ``population_size``
    (32) and ``seed``."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        population_size: int = 32,
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self.population_size = check_int("population_size", population_size, low=2)
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
        asked = len(history.finished) + len(history.pending)
        if len(losses) < 2 or asked < self.population_size:
            vector = self._warmup.vector(asked)
        else:
            population = np.argsort(losses, kind="stable")[: self.population_size]
            a, b = self.rng.choice(population, size=2, replace=False)
            parent = rows[a] if losses[a] <= losses[b] else rows[b]
            vector = self._mutate(parent)
        params = self.space.decode(vector)
        if self._dedup.accept(params):
            return params
        return self._dedup.fresh(self.rng, tuner="Evolution")

    def _mutate(self, parent: np.ndarray) -> np.ndarray:
        fresh = self.space.random_vector(self.rng)
        vector = np.where(np.isnan(parent), fresh, parent)
        active = [i for i in range(len(parent)) if not np.isnan(parent[i])]
        if active:
            target = int(self.rng.choice(active))
            dim = self.space.dims[target]
            if not dim.categorical and self.rng.random() < 0.5:
                # half of the numeric mutations are local steps: resampling alone cannot fine-tune
                vector[target] = float(np.clip(parent[target] + self.rng.normal(0.0, _STEP), 1e-9, 1 - 1e-9))
            else:
                vector[target] = fresh[target]
        return vector
