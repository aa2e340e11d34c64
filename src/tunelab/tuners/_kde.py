"""A multivariate Parzen estimator (product kernels) for TPE, scored with one matrix product.

Each component is a product of one-dimensional kernels: a normal (truncated to [0, 1] for bounded dims)
per numeric dim and a smoothed one-hot distribution per categorical dim. The squared Mahalanobis terms of
all candidates against all components come out of a single GEMM, using
``sum_d ((x_d - m_kd) / s_kd)^2 = x^2 . a_k - 2 x . (m a)_k + (m^2 . a)_k`` with ``a = 1 / s^2``; the
categorical log-probabilities are gathered per dim. This keeps a 10,000-trial model at a few hundred
microseconds per suggestion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def neighbour_bandwidths(centres: np.ndarray, prior_sigma: float, floor: float) -> np.ndarray:
    """Per-component bandwidths, column by column of ``centres`` (n, d): the larger gap to the sorted
    neighbours, clipped into [floor, prior_sigma] (hyperopt's heuristic; the "magic clip" sets ``floor``).
    All columns are sorted in one call."""
    n = len(centres)
    if n == 1:
        return np.full(centres.shape, prior_sigma)
    order = np.argsort(centres, axis=0, kind="stable")
    sorted_c = np.take_along_axis(centres, order, axis=0)
    gaps = np.diff(sorted_c, axis=0)
    widths = np.maximum(np.vstack([gaps[:1], gaps]), np.vstack([gaps, gaps[-1:]]))
    out = np.empty_like(widths)
    np.put_along_axis(out, order, widths, axis=0)
    return np.asarray(np.clip(out, floor, prior_sigma))


@dataclass(frozen=True, slots=True)
class JointParzen:
    """Mixture over components ``k`` (observations, then one prior component last).

    ``num`` holds numeric coordinates (bounded dims in [0, 1]; normal-type dims in standard-normal space,
    flagged by ``bounded``); ``cat`` holds option indices with ``sizes`` options per categorical dim.
    """

    weights: np.ndarray  # (K,), sums to 1
    mus: np.ndarray  # (K, dn)
    sigmas: np.ndarray  # (K, dn)
    bounded: np.ndarray  # (dn,) bool
    low_cdf: np.ndarray  # (K, dn): Φ((0 - mu) / sigma) for bounded dims, 0 otherwise
    mass: np.ndarray  # (K, dn): mass inside [0, 1] for bounded dims, 1 otherwise
    cat_probs: tuple[np.ndarray, ...]  # per categorical dim: (K, size) rows summing to 1
    # precomputed for scoring
    a: np.ndarray  # (dn, K) = 1 / sigma^2, transposed
    ma: np.ndarray  # (dn, K) = mu / sigma^2, transposed
    const: np.ndarray  # (K,) log w - sum log(sigma mass sqrt(2 pi)) - 0.5 sum mu^2 / sigma^2
    cat_logs: tuple[np.ndarray, ...]  # per categorical dim: (size, K) log-probabilities

    @classmethod
    def fit(
        cls,
        num: np.ndarray,
        cat: np.ndarray,
        weights: np.ndarray,
        *,
        bounded: np.ndarray,
        sizes: tuple[int, ...],
        prior_weight: float,
        n_clip: int,
        bandwidth_scale: float = 1.0,
        min_bandwidth: float = 0.0,
    ) -> JointParzen:
        """Fit to ``num`` (n, dn) and ``cat`` (n, dc) observations with ``weights`` (n,).

        ``n_clip`` is the observation count used by the magic clip: bandwidths are at least
        ``1 / min(100, n_clip + 1)`` of the prior width. ``bandwidth_scale`` widens the observation
        kernels (BOHB's ``bandwidth_factor`` for sampling); ``min_bandwidth`` is an absolute floor.
        """
        n, dn = num.shape
        prior_mu = np.where(bounded, 0.5, 0.0)
        mus = np.vstack([num, prior_mu[None, :]])
        floor = max(1.0 / min(100.0, n_clip + 1.0), min_bandwidth)
        sigmas = np.ones((n + 1, dn))
        if n and dn:
            sigmas[:n] = neighbour_bandwidths(num, 1.0, floor) * bandwidth_scale
        w = np.append(weights, prior_weight).astype(float)
        if w.sum() <= 0:
            w = np.zeros(n + 1)
            w[-1] = 1.0
        w = w / w.sum()
        low_cdf = np.where(bounded, ndtr((0.0 - mus) / sigmas), 0.0)
        mass = np.where(bounded, np.maximum(ndtr((1.0 - mus) / sigmas) - low_cdf, 1e-300), 1.0)
        cat_probs = []
        for j, size in enumerate(sizes):
            # Smoothing: each observed kernel keeps most mass on its option; the prior row is uniform.
            probs = np.full((n + 1, size), 1.0 / size)
            if n:
                eps = max(prior_weight / (n + 1.0), 1e-12)  # a floor keeps every log finite
                rows = np.full((n, size), eps)
                rows[np.arange(n), cat[:, j].astype(np.int64)] += 1.0
                probs[:n] = rows / rows.sum(axis=1, keepdims=True)
            cat_probs.append(probs)
        a = 1.0 / (sigmas * sigmas)
        with np.errstate(divide="ignore"):
            log_w = np.log(w)
        const = (
            log_w - (np.log(sigmas * mass) + _LOG_SQRT_2PI).sum(axis=1) - 0.5 * (mus * mus * a).sum(axis=1)
        )
        return cls(
            w,
            mus,
            sigmas,
            bounded,
            low_cdf,
            mass,
            tuple(cat_probs),
            np.ascontiguousarray(a.T),
            np.ascontiguousarray((mus * a).T),
            const,
            tuple(np.log(p).T.copy() for p in cat_probs),
        )

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` draws: (numeric (size, dn), categorical (size, dc) option indices)."""
        comp = rng.choice(len(self.weights), size=size, p=self.weights)
        mu, sigma = self.mus[comp], self.sigmas[comp]
        dn = mu.shape[1]
        u = rng.random((size, dn))
        if dn:
            low, mass = self.low_cdf[comp], self.mass[comp]
            bounded_draw = mu + sigma * ndtri(np.clip(low + u * mass, 1e-300, 1 - 2**-53))
            free_draw = mu + sigma * ndtri(np.clip(u, 1e-300, 1 - 2**-53))
            num = np.where(self.bounded, np.clip(bounded_draw, 0.0, 1.0), free_draw)
        else:
            num = np.empty((size, 0))
        cat = np.empty((size, len(self.cat_probs)), dtype=np.int64)
        for j, probs in enumerate(self.cat_probs):
            cdf = np.cumsum(probs[comp], axis=1)
            r = rng.random(size)[:, None] * cdf[:, -1:]
            cat[:, j] = np.minimum((cdf < r).sum(axis=1), probs.shape[1] - 1)
        return num, cat

    def log_pdf(self, num: np.ndarray, cat: np.ndarray) -> np.ndarray:
        """Log density of each candidate row."""
        terms = num * num @ self.a
        terms -= 2.0 * (num @ self.ma)
        terms *= -0.5
        terms += self.const
        for j, logs in enumerate(self.cat_logs):
            terms += logs[cat[:, j]]
        # log-sum-exp by hand: scipy's generic version costs more than the whole kernel at this size
        top = terms.max(axis=1)
        terms -= top[:, None]
        # After the shift every exponent is <= 0, so float32 (twice the SIMD width) loses nothing that
        # matters for ranking candidates.
        total = np.exp(terms.astype(np.float32)).sum(axis=1, dtype=np.float64)
        return np.asarray(np.log(total) + top)
