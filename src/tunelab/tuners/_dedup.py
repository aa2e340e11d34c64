"""Duplicate detection shared by tuners (NNI issue #4619: TPE and Random re-proposed the same point).

A proposal is a duplicate when a trial with the same parameters (by :func:`tunelab.space.params_key`) is
already in the history (finished or pending) or was proposed by this tuner before. Continuous spaces
practically never produce one; small discrete spaces do, and there the fallback walks the grid so that
the space is covered exactly once before ``NoMoreTrialsError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tunelab.base import NoMoreTrialsError
from tunelab.space import SearchSpace, params_key
from tunelab.tuners._base import History

#: Random redraws before walking the grid; in a space with few unseen points left, redrawing is wasteful.
_MAX_REDRAWS = 32


class Deduplicator:
    """Remembers every parameter set seen; not thread-safe (one per tuner)."""

    def __init__(self, space: SearchSpace) -> None:
        self._space = space
        self._seen: set[str] = set()
        self._n_finished = 0
        self._grid: Iterator[dict[str, Any]] | None = None

    def refresh(self, history: History) -> None:
        """Record the parameters of trials added to ``history`` since the last call."""
        if len(history.finished) < self._n_finished:  # a different history: start over
            self._n_finished = 0
        for obs in history.finished[self._n_finished :]:
            self._seen.add(params_key(obs.parameters))
        self._n_finished = len(history.finished)
        for obs in history.pending:
            self._seen.add(params_key(obs.parameters))

    def accept(self, params: dict[str, Any]) -> bool:
        """True (and remember ``params``) when ``params`` was not seen before."""
        key = params_key(params)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def fresh(self, rng: np.random.Generator, *, tuner: str) -> dict[str, Any]:
        """An unseen parameter set: a few random draws, then the next unseen grid point.

        Raises ``NoMoreTrialsError`` when the grid is exhausted (every point of a finite space seen).
        """
        for _ in range(_MAX_REDRAWS):
            params = self._space.sample(rng)
            if self.accept(params):
                return params
        return self.next_grid_point(tuner=tuner)

    def next_grid_point(self, *, tuner: str) -> dict[str, Any]:
        """The next grid point not seen yet; ``NoMoreTrialsError`` when the grid is exhausted."""
        if self._grid is None:
            self._grid = self._space.grid()
        for params in self._grid:
            if self.accept(params):
                return params
        raise NoMoreTrialsError(
            f"{tuner}: every distinct parameter set of the search space has been tried "
            f"({len(self._seen)} seen); enlarge the search space or lower maxTrialNumber"
        )
