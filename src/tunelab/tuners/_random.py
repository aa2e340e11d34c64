"""NNI's ``Random`` tuner: independent draws from the prior, never repeating a parameter set."""

from __future__ import annotations

from typing import Any

from tunelab.space import SearchSpace
from tunelab.tuners._base import History, Tuner
from tunelab.tuners._dedup import Deduplicator


class RandomTuner(Tuner):
    """Uniform random search (normal types drawn from their normal). ``optimize_mode`` is accepted and
    ignored. In finite spaces each parameter set is proposed once, then ``NoMoreTrialsError``."""

    objective_agnostic = True

    def __init__(
        self, space: SearchSpace, *, optimize_mode: str | None = None, seed: int | None = None
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self._dedup = Deduplicator(space)

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        params = self.space.sample(self.rng)
        if self._dedup.accept(params):
            return params
        return self._dedup.fresh(self.rng, tuner="Random")

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._dedup = Deduplicator(space)
