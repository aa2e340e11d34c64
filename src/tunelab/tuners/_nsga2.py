"""``NSGA2``: the non-dominated sorting genetic algorithm (Deb et al. 2002), steady-state.

Generational NSGA-II waits for a whole generation to finish; trials here finish out of order and a few at a
time, so each ask breeds one child from the current elite: the ``population_size`` best finished trials
under constrained domination (feasible first, then non-dominated rank, then crowding distance), chosen by
binary tournaments. Numbers cross by simulated binary crossover and mutate by polynomial mutation in the
encoded [0, 1] coordinates; options cross uniformly and mutate to another option. The first
``population_size`` asks are a space-filling design.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunelab.objectives import ObjectiveSpec, crowding_distance, nondominated_ranks
from tunelab.space import SearchSpace
from tunelab.tuners._args import check_int, check_number
from tunelab.tuners._base import History, Observation, Tuner
from tunelab.tuners._dedup import Deduplicator
from tunelab.tuners._motpe import objective_metrics, objective_spec
from tunelab.tuners._startup import WarmupSequence

_ETA_CROSSOVER = 15.0
_ETA_MUTATION = 20.0


class Nsga2Tuner(Tuner):
    """NSGA-II with class args ``population_size`` (20), ``crossover_prob`` (0.9), ``mutation_prob``
    (None: one over the number of parameters), ``seed``, and the experiment's ``objectives``."""

    multi_objective = True

    def __init__(
        self,
        space: SearchSpace,
        *,
        objectives: ObjectiveSpec | Sequence[Any] | None = None,
        optimize_mode: str | None = None,
        seed: int | None = None,
        population_size: int = 20,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
    ) -> None:
        self.objectives = objective_spec(objectives, optimize_mode, tuner="NSGA2")
        super().__init__(space, optimize_mode=self.objectives.primary.mode, seed=seed)
        self.population_size = check_int("population_size", population_size, low=2)
        self.crossover_prob = check_number("crossover_prob", crossover_prob, low=0.0, high=1.0)
        self.mutation_prob = None if mutation_prob is None else check_number(
            "mutation_prob", mutation_prob, low=0.0, high=1.0
        )
        self._reset()

    def _reset(self) -> None:
        self._dedup = Deduplicator(self.space)
        self._warmup = WarmupSequence(self.space, self.seed)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._reset()

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        elite = self._elite(history)
        asked = len(history.finished) + len(history.pending)
        if (len(elite[0]) < self.population_size and asked < self.population_size) or len(elite[0]) < 2:
            vector = self._warmup.vector(asked)
        else:
            vector = self._child(*elite)
        params = self.space.decode(vector)
        if self._dedup.accept(params):
            return params
        return self._dedup.fresh(self.rng, tuner="NSGA2")

    # -- selection ------------------------------------------------------------------------------------
    def _elite(self, history: History) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encoded rows, ranks and crowding distances of the (at most) ``population_size`` best trials."""
        rows, losses, violations = [], [], []
        for obs in history.finished:
            metrics = objective_metrics(obs, self.objectives)
            row = None if metrics is None else self._usable(obs)
            if metrics is not None and row is not None and all(np.isfinite(self.objectives.losses(metrics))):
                rows.append(row)
                losses.append(self.objectives.losses(metrics))
                violations.append(self.objectives.violation(metrics))
        width = len(self.space.dims)
        if not rows:
            return np.empty((0, width)), np.empty(0, dtype=np.int64), np.empty(0)
        loss, violation = np.array(losses), np.array(violations)
        ranks = nondominated_ranks(loss, violation)
        crowding = np.zeros(len(rows))
        for rank in np.unique(ranks):
            members = np.flatnonzero(ranks == rank)
            crowding[members] = crowding_distance(loss[members])
        order = np.lexsort((-crowding, ranks))[: self.population_size]
        return np.array(rows)[order], ranks[order], crowding[order]

    def _usable(self, obs: Observation) -> np.ndarray | None:
        """The trial's encoded parameters, None when it lacks a parameter of the current space."""
        row = self.space.encode(obs.parameters)
        top = [d.index for d in self.space.dims if d.parent is None]
        return None if np.isnan(row[top]).any() else row

    def _tournament(self, ranks: np.ndarray, crowding: np.ndarray) -> int:
        a, b = self.rng.choice(len(ranks), size=2, replace=False)
        if ranks[a] != ranks[b]:
            return int(a if ranks[a] < ranks[b] else b)
        return int(a if crowding[a] >= crowding[b] else b)

    # -- variation ------------------------------------------------------------------------------------
    def _child(self, rows: np.ndarray, ranks: np.ndarray, crowding: np.ndarray) -> np.ndarray:
        first = rows[self._tournament(ranks, crowding)]
        second = rows[self._tournament(ranks, crowding)]
        child = self.space.random_vector(self.rng)  # prior values for dims neither parent has
        cross = self.rng.random() < self.crossover_prob
        dims = self.space.dims
        mutation = self.mutation_prob if self.mutation_prob is not None else 1.0 / max(len(dims), 1)
        for dim in dims:
            a, b = first[dim.index], second[dim.index]
            if np.isnan(a) and np.isnan(b):
                continue
            if np.isnan(a) or np.isnan(b):
                value = b if np.isnan(a) else a
            elif not cross:
                value = a
            elif dim.categorical:
                value = a if self.rng.random() < 0.5 else b
            else:
                value = self._sbx(a, b)
            if self.rng.random() < mutation:
                value = self._mutate(value, dim.categorical, dim.cardinality or 1)
            child[dim.index] = value
        return child

    def _sbx(self, a: float, b: float) -> float:
        u = self.rng.random()
        beta = (2 * u) ** (1 / (_ETA_CROSSOVER + 1)) if u <= 0.5 else (1 / (2 * (1 - u))) ** (1 / (_ETA_CROSSOVER + 1))
        mean, half = (a + b) / 2, abs(b - a) / 2
        value = mean + (beta * half if self.rng.random() < 0.5 else -beta * half)
        return float(np.clip(value, 0.0, 1.0))

    def _mutate(self, value: float, categorical: bool, size: int) -> float:
        if categorical:
            if size <= 1:
                return value
            other = int(self.rng.integers(size - 1))
            return float(other if other < round(value) else other + 1)
        u = self.rng.random()
        power = 1 / (_ETA_MUTATION + 1)
        delta = (2 * u) ** power - 1 if u < 0.5 else 1 - (2 * (1 - u)) ** power
        return float(np.clip(value + delta, 0.0, 1.0))
