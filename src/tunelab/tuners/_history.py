"""Incremental views of a :class:`History` that model-based tuners share.

``history.finished`` only grows, so each view encodes the trials added since the last call; a shorter
history means the tuner is being fed a different one, and the view starts over.
"""

from __future__ import annotations

import numpy as np

from tunelab.tuners._base import History, Observation, Tuner


class LossTable:
    """Encoded parameters and losses (the tuner's optimize mode folded in) of usable finished trials."""

    def __init__(self, tuner: Tuner) -> None:
        self._tuner = tuner
        self._clear()

    def _clear(self) -> None:
        self._rows: list[np.ndarray] = []
        self._losses: list[float] = []
        self._seen = 0
        self.finished_ids: set[str] = set()
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def update(self, history: History) -> tuple[np.ndarray, np.ndarray]:
        if len(history.finished) < self._seen:
            self._clear()
        space, tuner = self._tuner.space, self._tuner
        for obs in history.finished[self._seen :]:
            self.finished_ids.add(obs.trial_id)
            if obs.usable:
                self._rows.append(space.encode(obs.parameters))
                self._losses.append(tuner.loss(float(obs.value or 0.0)))
                self._cache = None
        self._seen = len(history.finished)
        if self._cache is None:
            width = len(space.dims)
            rows = np.array(self._rows) if self._rows else np.empty((0, width))
            self._cache = (rows, np.array(self._losses))
        return self._cache

    def pending(self, history: History) -> list[Observation]:
        """Pending trials not already finished (a late report may leave a trial in both lists), once each."""
        seen: set[str] = set()
        out = []
        for obs in history.pending:
            if obs.trial_id not in self.finished_ids and obs.trial_id not in seen:
                seen.add(obs.trial_id)
                out.append(obs)
        return out
