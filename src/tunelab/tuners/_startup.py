"""Space-filling warm-up points shared by model-based tuners.

The first trials of a model-based tuner cover the space better as a low-discrepancy set than as i.i.d.
draws. We use the additive recurrence of Roberts' R_d sequence (``frac(shift + i * alpha)`` with
``alpha_j = phi_d^-(j+1)``, ``phi_d`` the root of ``x^(d+1) = x + 1``) with a seeded random shift: cheap,
any prefix is well spread, and point ``i`` depends only on ``i`` and the seed, so a resumed tuner can
continue the sequence.
"""

from __future__ import annotations

import math

import numpy as np

from tunelab.space import SearchSpace


def _phi(d: int) -> float:
    x = 2.0
    for _ in range(64):  # fixed-point iteration converges fast for this root
        x = (1.0 + x) ** (1.0 / (d + 1))
    return x


class WarmupSequence:
    """Coded vectors for the warm-up: numeric dims from the R_d point, categorical dims its floor."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self._space = space
        width = len(space.dims)
        phi = _phi(max(width, 1))
        self._alpha = np.array([phi ** -(j + 1) for j in range(width)])
        self._shift = np.random.default_rng([seed, 0x5EED]).random(width)

    def vector(self, index: int) -> np.ndarray:
        u = np.mod(self._shift + index * self._alpha, 1.0)
        for dim in self._space.dims:
            if dim.categorical:
                size = dim.cardinality or 1
                u[dim.index] = min(math.floor(u[dim.index] * size), size - 1)
            elif dim.normal:
                u[dim.index] = min(max(u[dim.index], 1e-6), 1 - 1e-6)
        return np.asarray(u)


def random_vectors(space: SearchSpace, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` prior draws in the coded format at once (``SearchSpace.random_vector``, vectorized)."""
    u = rng.random((count, len(space.dims)))
    for dim in space.dims:
        if dim.categorical:
            size = dim.cardinality or 1
            u[:, dim.index] = np.minimum(np.floor(u[:, dim.index] * size), size - 1)
    return u
