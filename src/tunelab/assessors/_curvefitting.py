"""NNI's ``Curvefitting`` assessor: extrapolate the learning curve to ``epoch_num`` and stop the trial
when the prediction falls below ``threshold`` times the best final result of the completed trials.

NNI fits a Bayesian ensemble of 12 curve families by MCMC; here an ensemble of four saturating families
(power law, logarithmic, exponential, inverse-log) is fitted by least squares and averaged with weights
inversely proportional to each fit's residual error. Fits that do not converge or extrapolate outside a
plausible band around the observed curve are dropped; with none left the trial goes on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from tunelab.assessors._base import Assessor
from tunelab.assessors._checks import check_int, check_number

Curve = Callable[..., np.ndarray]


def _pow3(x: np.ndarray, c: float, a: float, alpha: float) -> np.ndarray:
    return np.asarray(c - a * np.power(x, -alpha))


def _log_linear(x: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.asarray(a + b * np.log(x))


def _exp3(x: np.ndarray, c: float, a: float, b: float) -> np.ndarray:
    return c - np.exp(np.clip(-a * x + b, -50, 50))


def _ilog2(x: np.ndarray, c: float, a: float) -> np.ndarray:
    return c - a / np.log(x + 1.0)


def _families(y: np.ndarray) -> list[tuple[Curve, list[float]]]:
    top, span = float(y.max()), float(np.ptp(y)) or 1.0
    return [
        (_pow3, [top + 0.1 * span, span, 0.5]),
        (_log_linear, [float(y[0]), span / max(math.log(len(y)), 1.0)]),
        (_exp3, [top + 0.1 * span, 0.5, math.log(span)]),
        (_ilog2, [top + 0.1 * span, span]),
    ]


def predict_curve(history: Sequence[float], at: int) -> float | None:
    """Ensemble prediction of the curve value at step ``at`` (1-based), or ``None`` when no fit is usable."""
    from scipy.optimize import curve_fit

    y = np.asarray(history, dtype=float)
    if len(y) < 3 or not np.all(np.isfinite(y)):
        return None
    x = np.arange(1, len(y) + 1, dtype=float)
    span = float(np.ptp(y)) or max(abs(float(y.max())), 1e-12)
    low, high = float(y.min()) - 2 * span, float(y.max()) + 2 * span
    predictions, weights = [], []
    for family, start in _families(y):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params, _ = curve_fit(family, x, y, p0=start, maxfev=2000)
                fitted = family(x, *params)
                value = float(family(np.array([float(at)]), *params)[0])
        except (RuntimeError, ValueError, TypeError, FloatingPointError):
            continue
        if not math.isfinite(value) or not low <= value <= high:
            continue
        mse = float(np.mean((fitted - y) ** 2))
        predictions.append(value)
        weights.append(1.0 / (mse + 1e-12 * span * span + 1e-300))
    if not predictions:
        return None
    return float(np.average(predictions, weights=weights))


class CurvefittingAssessor(Assessor):
    """``Curvefitting`` with NNI's class args ``epoch_num`` (20), ``start_step`` (6), ``threshold`` (0.95),
    ``gap`` (1), plus ``optimize_mode`` ('maximize' as NNI; 'minimize' stops when the prediction exceeds
    the best completed result divided by ``threshold``)."""

    def __init__(
        self,
        epoch_num: int = 20,
        start_step: int = 6,
        threshold: float = 0.95,
        gap: int = 1,
        optimize_mode: str = "maximize",
    ) -> None:
        super().__init__(optimize_mode=optimize_mode)
        self.epoch_num = check_int("epoch_num", epoch_num, low=1)
        self.start_step = check_int("start_step", start_step, low=1)
        self.threshold = check_number("threshold", threshold, low=0.0, high=1.0)
        self.gap = check_int("gap", gap, low=1)
        self.completed_best: float | None = None
        self._last: dict[str, list[float]] = {}
        self._judged: dict[str, int] = {}

    def assess_trial(self, trial_job_id: str, trial_history: Sequence[float]) -> bool:
        history = [float(v) for v in trial_history]
        self._last[trial_job_id] = history
        step = len(history)
        if step < self.start_step or self.completed_best is None:
            return True
        slot = (step - self.start_step) // self.gap
        if slot <= self._judged.get(trial_job_id, -1):
            return True  # judge once per ``gap`` results
        self._judged[trial_job_id] = slot
        predicted = predict_curve(history, self.epoch_num)
        if predicted is None:
            return True
        if self.optimize_mode == "maximize":
            return predicted > self.threshold * self.completed_best
        return predicted < self.completed_best / max(self.threshold, 1e-12)

    def trial_end(self, trial_job_id: str, success: bool) -> None:
        history = self._last.pop(trial_job_id, None)
        self._judged.pop(trial_job_id, None)
        if not success or not history or not math.isfinite(history[-1]):
            return
        final = history[-1]
        if self.completed_best is None:
            self.completed_best = final
        elif self.optimize_mode == "maximize":
            self.completed_best = max(self.completed_best, final)
        else:
            self.completed_best = min(self.completed_best, final)
