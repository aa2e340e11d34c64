"""The five multi-objective benchmark problems: NNI search spaces, objectives (all minimised), reference
points and the hypervolume of each true Pareto front.

Sizes are chosen for hyperparameter-search budgets (100 trials), not the evolutionary-computation ones
(tens of thousands of evaluations, where ZDT uses 30 variables and DTLZ2 12): ZDT1-3 with 5 variables and
DTLZ2 with 3 objectives in 6 variables (k = 4 distance variables). With 30 variables every tool is still
near random search after 100 trials, so the problems would not tell the tools apart.

Reference points are BoTorch's for its ZDT and DTLZ test problems (the usual ones in Bayesian
optimisation papers, whose budgets are ours): (11, 11) for ZDT1-3, just beyond f2's range [0, 10] on the
box, and (1.1, 1.1, 1.1) for DTLZ2, whose front lies in the unit box ((1.1, 1.1) on ZDT, the choice of
evolutionary benchmarks, leaves most 100-trial runs in 5 variables with an empty hypervolume: no trial
reaches f2 < 1.1 before g(x) is nearly 1.) ``mo_mixed`` uses (0.5, 1.0): an error above 0.5 is useless, and
cost is scaled so the biggest model costs 1. With (11, 11) the ZDT hypervolumes of all tools sit close to
1, so the report also gives the gap to the front (1 - normalised HV), where differences show. Every reported hypervolume is
divided by the true front's hypervolume for that reference (computed below: analytically for ZDT1, ZDT2
and DTLZ2, on a dense sample of the front for ZDT3 and ``mo_mixed``), so 1.0 means the front was found.

``mo_mixed`` is ours: a model-family choice (linear, forest, mlp) with continuous knobs, error against
training cost. Bigger models cost more and err less; each family has its own best learning rate; the best
regularisation grows with the model's size (an interaction) and the best dropout depends on the family; a
batch-size choice trades a little error for cost. Random search reaches about 0.7 of its front in 100
trials (0.4 on ZDT1). Its true front is known because the error terms other than size vanish at known values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class MoProblem:
    name: str
    space: dict[str, Any]
    objectives: tuple[str, ...]
    evaluate: Callable[[dict[str, Any]], list[float]]
    reference: tuple[float, ...]
    true_hv: float


def _box(dim: int) -> dict[str, Any]:
    return {f"x{i}": {"_type": "uniform", "_value": [0.0, 1.0]} for i in range(dim)}


def _vec(params: dict[str, Any], dim: int) -> np.ndarray:
    return np.array([float(params[f"x{i}"]) for i in range(dim)])


ZDT_DIM = 5
DTLZ_DIM = 6


def _zdt_g(x: np.ndarray) -> float:
    return float(1 + 9 * x[1:].mean())


def zdt1(params: dict[str, Any]) -> list[float]:
    x = _vec(params, ZDT_DIM)
    g = _zdt_g(x)
    return [float(x[0]), g * (1 - math.sqrt(x[0] / g))]


def zdt2(params: dict[str, Any]) -> list[float]:
    x = _vec(params, ZDT_DIM)
    g = _zdt_g(x)
    return [float(x[0]), g * (1 - (x[0] / g) ** 2)]


def zdt3(params: dict[str, Any]) -> list[float]:
    x = _vec(params, ZDT_DIM)
    g = _zdt_g(x)
    f1 = float(x[0])
    return [f1, g * (1 - math.sqrt(f1 / g) - f1 / g * math.sin(10 * math.pi * f1))]


def dtlz2(params: dict[str, Any]) -> list[float]:
    x = _vec(params, DTLZ_DIM)
    g = float(((x[2:] - 0.5) ** 2).sum())
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return [
        (1 + g) * math.cos(a) * math.cos(b),
        (1 + g) * math.cos(a) * math.sin(b),
        (1 + g) * math.sin(a),
    ]


MO_MIXED_SPACE: dict[str, Any] = {
    "model": {"_type": "choice", "_value": ["linear", "forest", "mlp"]},
    "size": {"_type": "uniform", "_value": [0.0, 1.0]},
    "lr": {"_type": "loguniform", "_value": [1e-4, 1.0]},
    "reg": {"_type": "uniform", "_value": [0.0, 1.0]},
    "dropout": {"_type": "uniform", "_value": [0.0, 0.8]},
    "batch": {"_type": "choice", "_value": [32, 64, 128, 256]},
}
# Per family: best error, error lost at the smallest size, best log10(lr), best dropout, cost at full size.
_FAMILY = {
    "linear": (0.30, 0.10, -1.0, 0.0, 0.06),
    "forest": (0.14, 0.25, -2.0, 0.3, 0.30),
    "mlp": (0.04, 0.50, -3.0, 0.5, 1.00),
}
LR_WEIGHT, REG_WEIGHT, DROPOUT_WEIGHT = 0.2, 1.5, 1.5
_BATCH = {32: (0.0, 1.0), 64: (0.0, 0.8), 128: (0.01, 0.65), 256: (0.04, 0.55)}  # (error added, cost factor)


def _mixed_point(model: str, size: Any, log_lr: Any, reg: Any, dropout: Any, batch: int) -> tuple[Any, Any]:
    """(error, cost); the numbers may be arrays (the true front is sampled so)."""
    base, gap, best_lr, best_dropout, full_cost = _FAMILY[model]
    error = base + gap * (1 - size) ** 2
    error = error + LR_WEIGHT * (log_lr - best_lr) ** 2
    error = error + REG_WEIGHT * (reg - (0.1 + 0.6 * size)) ** 2
    error = error + DROPOUT_WEIGHT * (dropout - best_dropout) ** 2
    error = error + _BATCH[batch][0]
    cost = full_cost * (0.05 + 0.95 * size**2) * _BATCH[batch][1]
    return error, cost


def mo_mixed(params: dict[str, Any]) -> list[float]:
    error, cost = _mixed_point(
        str(params["model"]),
        float(params["size"]),
        math.log10(float(params["lr"])),
        float(params["reg"]),
        float(params["dropout"]),
        int(params["batch"]),
    )
    return [float(error), float(cost)]


def _hv2(points: np.ndarray, reference: tuple[float, ...]) -> float:
    """Two-objective hypervolume of many points (vectorised; the sample fronts below have 10^5 points)."""
    points = points[np.all(points < np.asarray(reference), axis=1)]
    order = np.argsort(points[:, 0], kind="stable")
    xs, ys = points[order, 0], np.minimum.accumulate(points[order, 1])
    widths = np.append(xs[1:], reference[0]) - xs
    return float(np.sum(widths * (reference[1] - ys)))


def _zdt3_true_hv(reference: tuple[float, ...]) -> float:
    f1 = np.linspace(0.0, 1.0, 200_001)
    f2 = 1 - np.sqrt(f1) - f1 * np.sin(10 * math.pi * f1)
    return _hv2(np.column_stack([f1, f2]), reference)


def _mixed_true_hv(reference: tuple[float, ...]) -> float:
    # Every error term but the size's vanishes at the family's best lr and the size's best reg.
    sizes = np.linspace(0.0, 1.0, 20_001)
    parts = []
    for model, (_, _, best_lr, best_dropout, _) in _FAMILY.items():
        for batch in _BATCH:
            lr, dropout = np.full_like(sizes, best_lr), np.full_like(sizes, best_dropout)
            error, cost = _mixed_point(model, sizes, lr, 0.1 + 0.6 * sizes, dropout, batch)
            parts.append(np.column_stack([error, cost]))
    return _hv2(np.vstack(parts), reference)


_R2 = (11.0, 11.0)
_R3 = (1.1, 1.1, 1.1)
_RMIX = (0.5, 1.0)

PROBLEMS: dict[str, MoProblem] = {
    p.name: p
    for p in [
        # ZDT1 front f2 = 1 - sqrt(f1), ZDT2 f2 = 1 - f1^2 on f1 in [0, 1]: box minus the area under it.
        MoProblem("zdt1", _box(ZDT_DIM), ("f1", "f2"), zdt1, _R2, 11 * 11 - 1 / 3),
        MoProblem("zdt2", _box(ZDT_DIM), ("f1", "f2"), zdt2, _R2, 11 * 11 - 2 / 3),
        MoProblem("zdt3", _box(ZDT_DIM), ("f1", "f2"), zdt3, _R2, _zdt3_true_hv(_R2)),
        # DTLZ2 front: the unit sphere's positive octant: box minus an eighth of the unit ball.
        MoProblem("dtlz2", _box(DTLZ_DIM), ("f1", "f2", "f3"), dtlz2, _R3, 1.1**3 - math.pi / 6),
        MoProblem("mo_mixed", MO_MIXED_SPACE, ("error", "cost"), mo_mixed, _RMIX, _mixed_true_hv(_RMIX)),
    ]
}
