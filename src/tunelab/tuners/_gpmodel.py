"""A small exact Gaussian-process regressor on numpy/scipy: Matérn ARD kernel, marginal-likelihood fit.

Inputs are expected in the unit cube (the tuner codes them so); outputs are standardized here. The
hyperparameters (log length-scales, log signal variance, log noise variance) maximize the log marginal
likelihood plus weak log-normal priors, with analytic gradients and L-BFGS-B, warm-started from the last
fit. ``nu`` is 1.5 or 2.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.optimize import minimize

_SQRT3, _SQRT5 = math.sqrt(3.0), math.sqrt(5.0)
# Hyperparameter bounds in log space: length-scales relative to the unit cube; noise as a share of the
# standardized output variance (deterministic objectives want it tiny, noisy ones learn it).
_LOG_LS = (math.log(0.01), math.log(20.0))
_LOG_SF = (math.log(0.05), math.log(20.0))
# Log-normal prior on length-scales around half the cube: keeps the fit stable with few points.
_LS_PRIOR_MU, _LS_PRIOR_SD = math.log(0.5), 1.5


def _kernel(r: np.ndarray, nu: float) -> np.ndarray:
    if nu == 1.5:
        s = _SQRT3 * r
        return (1.0 + s) * np.exp(-s)
    s = _SQRT5 * r
    return (1.0 + s + s * s / 3.0) * np.exp(-s)


def _dkernel_factor(r: np.ndarray, nu: float) -> np.ndarray:
    """``g(r)`` with ``d k / d log(l_d) = g(r) * diff_d^2 / l_d^2`` (both kernels)."""
    if nu == 1.5:
        return 3.0 * np.exp(-_SQRT3 * r)
    s = _SQRT5 * r
    return (5.0 / 3.0) * (1.0 + s) * np.exp(-s)


def _scaled_dist(a: np.ndarray, b: np.ndarray, inv_ls: np.ndarray) -> np.ndarray:
    a2, b2 = a * inv_ls, b * inv_ls
    sq = (a2 * a2).sum(1)[:, None] + (b2 * b2).sum(1)[None, :] - 2.0 * a2 @ b2.T
    return np.asarray(np.sqrt(np.maximum(sq, 0.0)))


@dataclass
class GaussianProcess:
    """Fit with :meth:`fit`; then :meth:`predict` gives the posterior mean and standard deviation in
    the original output units."""

    nu: float = 2.5
    min_noise: float = 1e-6
    theta: np.ndarray | None = None  # [log ls (d), log signal var, log noise var]
    _fits: int = 0

    def fit(self, x: np.ndarray, y: np.ndarray, *, optimize: bool = True) -> None:
        self._x = np.asarray(x, dtype=float)
        self._mean = float(y.mean())
        self._scale = float(y.std()) or 1.0
        self._y = (y - self._mean) / self._scale
        d = self._x.shape[1]
        log_noise = (math.log(max(self.min_noise, 1e-10)), math.log(0.5))
        bounds = [_LOG_LS] * d + [_LOG_SF, log_noise]
        if self.theta is None or len(self.theta) != d + 2:
            self.theta = np.array([math.log(0.5)] * d + [0.0, max(math.log(1e-3), log_noise[0])])
        if optimize and len(self._y) >= 2:
            starts = [self.theta]
            self._fits += 1
            if self._fits % 5 == 1:  # now and then a fresh start, in case the warm one sits in a poor optimum
                starts.append(np.array([math.log(0.3)] * d + [0.0, max(math.log(1e-4), log_noise[0])]))
            low, high = np.array(bounds).T
            results = [
                minimize(
                    self._neg_log_posterior,
                    np.clip(start, low, high),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": 40},
                )
                for start in starts
            ]
            self.theta = min(results, key=lambda res: float(res.fun)).x
        self._factor()

    def condition(self, x_extra: np.ndarray, y_extra: np.ndarray) -> None:
        """Add points (e.g. fantasies for running trials) without refitting the hyperparameters."""
        self._x = np.vstack([self._x, x_extra])
        self._y = np.append(self._y, (y_extra - self._mean) / self._scale)
        self._factor()

    def _factor(self) -> None:
        theta = self.theta if self.theta is not None else np.zeros(self._x.shape[1] + 2)
        d = self._x.shape[1]
        inv_ls = np.exp(-theta[:d])
        sf2, sn2 = math.exp(theta[d]), math.exp(theta[d + 1])
        k = sf2 * _kernel(_scaled_dist(self._x, self._x, inv_ls), self.nu)
        k[np.diag_indices_from(k)] += sn2 + 1e-9
        self._chol = _cholesky(k)
        self._alpha = cho_solve((self._chol, True), self._y)
        self._inv_ls, self._sf2 = inv_ls, sf2

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ks = self._sf2 * _kernel(_scaled_dist(xs, self._x, self._inv_ls), self.nu)
        mu = ks @ self._alpha
        v = solve_triangular(self._chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(self._sf2 - (v * v).sum(0), 1e-12)
        return mu * self._scale + self._mean, np.sqrt(var) * self._scale

    def standardize(self, y: np.ndarray | float) -> np.ndarray | float:
        return (y - self._mean) / self._scale

    def _neg_log_posterior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        x, y = self._x, self._y
        n, d = x.shape
        inv_ls = np.exp(-theta[:d])
        sf2, sn2 = math.exp(theta[d]), math.exp(theta[d + 1])
        r = _scaled_dist(x, x, inv_ls)
        kbase = _kernel(r, self.nu)
        k = sf2 * kbase
        k[np.diag_indices_from(k)] += sn2 + 1e-9
        try:
            chol = np.linalg.cholesky(k)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = cho_solve((chol, True), y)
        nll = 0.5 * y @ alpha + np.log(np.diag(chol)).sum() + 0.5 * n * math.log(2 * math.pi)
        kinv = cho_solve((chol, True), np.eye(n))
        w = np.outer(alpha, alpha) - kinv  # d nll / d theta_i = -0.5 tr(W dK_i)
        grad = np.empty_like(theta)
        g = sf2 * _dkernel_factor(r, self.nu) * w
        for j in range(d):
            diff = (x[:, j, None] - x[None, :, j]) * inv_ls[j]
            grad[j] = -0.5 * (g * diff * diff).sum()
        grad[d] = -0.5 * (w * (sf2 * kbase)).sum()
        grad[d + 1] = -0.5 * sn2 * np.trace(w)
        # priors: log-normal on length-scales
        z = (theta[:d] - _LS_PRIOR_MU) / _LS_PRIOR_SD
        nll += 0.5 * float(z @ z)
        grad[:d] += z / _LS_PRIOR_SD
        return float(nll), grad


def _cholesky(k: np.ndarray) -> np.ndarray:
    jitter = 0.0
    for _ in range(6):
        try:
            return np.linalg.cholesky(k + jitter * np.eye(len(k)))
        except np.linalg.LinAlgError:
            jitter = 1e-8 if jitter == 0 else jitter * 100
    return np.linalg.cholesky(k + 1e-2 * np.eye(len(k)))
