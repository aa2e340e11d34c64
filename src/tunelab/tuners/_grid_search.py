"""NNI's ``GridSearch`` tuner: every combination of options, numeric ranges refined epoch by epoch."""

from __future__ import annotations

from typing import Any

from tunelab.space import SearchSpace
from tunelab.tuners._base import History, Tuner
from tunelab.tuners._dedup import Deduplicator


class GridSearchTuner(Tuner):
    """Walks :meth:`SearchSpace.grid` in order, skipping parameter sets already in the history (resumed or
    customized trials). Deterministic: ``seed`` and ``optimize_mode`` are accepted and ignored. Raises
    ``NoMoreTrialsError`` when a finite grid is exhausted."""

    objective_agnostic = True

    def __init__(
        self, space: SearchSpace, *, optimize_mode: str | None = None, seed: int | None = None
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self._dedup = Deduplicator(space)

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        return self._dedup.next_grid_point(tuner="GridSearch")

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._dedup = Deduplicator(space)
