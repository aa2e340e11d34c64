"""The seven quality-benchmark problems: NNI search spaces, objectives (minimize) and known optima.

Pure Python + numpy so that the same file runs in the NNI 3.0 benchmark venv (numpy < 2). Bounds follow
the issue: branin, hartmann6, rosenbrock 5-D [-5, 10], levy 10-D [-10, 10], styblinski-tang 8-D [-5, 5],
ackley 5-D [-32.768, 32.768], and ``mixed`` (2 uniform, 1 loguniform, 1 randint, 2 choice), our own
deterministic analytic function whose optimum is 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Problem:
    name: str
    space: dict[str, Any]
    objective: Callable[[dict[str, Any]], float]
    optimum: float


def _box(dim: int, low: float, high: float) -> dict[str, Any]:
    return {f"x{i}": {"_type": "uniform", "_value": [low, high]} for i in range(dim)}


def _vec(params: dict[str, Any], dim: int) -> np.ndarray:
    return np.array([float(params[f"x{i}"]) for i in range(dim)])


def branin(params: dict[str, Any]) -> float:
    x1, x2 = float(params["x0"]), float(params["x1"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(params: dict[str, Any]) -> float:
    x = _vec(params, 6)
    return float(-(_H_ALPHA * np.exp(-(_H_A * (x - _H_P) ** 2).sum(axis=1))).sum())


def rosenbrock(params: dict[str, Any]) -> float:
    x = _vec(params, 5)
    return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())


def levy(params: dict[str, Any]) -> float:
    x = _vec(params, 10)
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def styblinski_tang(params: dict[str, Any]) -> float:
    x = _vec(params, 8)
    return float(0.5 * (x**4 - 16 * x**2 + 5 * x).sum())


def ackley(params: dict[str, Any]) -> float:
    x = _vec(params, 5)
    d = len(x)
    a = -20 * math.exp(-0.2 * math.sqrt(float((x**2).sum()) / d))
    return float(a - math.exp(float(np.cos(2 * math.pi * x).sum()) / d) + 20 + math.e)


MIXED_SPACE: dict[str, Any] = {
    "x": {"_type": "uniform", "_value": [-5.0, 5.0]},
    "y": {"_type": "uniform", "_value": [0.0, 1.0]},
    "lr": {"_type": "loguniform", "_value": [1e-5, 1.0]},
    "layers": {"_type": "randint", "_value": [1, 9]},
    "act": {"_type": "choice", "_value": ["relu", "tanh", "sigmoid", "gelu"]},
    "opt": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
}
_ACT = {"relu": 0.02, "tanh": 0.05, "sigmoid": 0.12, "gelu": 0.0}
_OPT_SHIFT = {"sgd": -1.0, "adam": -3.0, "rmsprop": -2.5}
_OPT_COST = {"sgd": 0.03, "adam": 0.0, "rmsprop": 0.01}


def mixed(params: dict[str, Any]) -> float:
    """A stand-in for a training loss: the best learning rate depends on the optimizer, the best width
    ``y`` on the depth; categorical costs are small next to the continuous terms. Optimum 0 at x = 1.3,
    lr = 1e-3 with adam, layers = 4, y = 0.35, gelu."""
    x, y = float(params["x"]), float(params["y"])
    lr, layers = float(params["lr"]), int(params["layers"])
    act, opt = params["act"], params["opt"]
    value = 0.01 * (x - 1.3) ** 2
    value += 0.02 * (math.log10(lr) - _OPT_SHIFT[opt]) ** 2
    value += 0.3 * (y - 0.05 - 0.075 * layers) ** 2
    value += 0.004 * abs(layers - 4)
    value += _ACT[act] + _OPT_COST[opt]
    return value


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in [
        Problem(
            "branin",
            {"x0": {"_type": "uniform", "_value": [-5, 10]}, "x1": {"_type": "uniform", "_value": [0, 15]}},
            branin,
            0.397887357729738,
        ),
        Problem("hartmann6", _box(6, 0.0, 1.0), hartmann6, -3.322368011391339),
        Problem("rosenbrock", _box(5, -5.0, 10.0), rosenbrock, 0.0),
        Problem("levy", _box(10, -10.0, 10.0), levy, 0.0),
        Problem("styblinski_tang", _box(8, -5.0, 5.0), styblinski_tang, -39.16616570377142 * 8),
        Problem("ackley", _box(5, -32.768, 32.768), ackley, 0.0),
        Problem("mixed", MIXED_SPACE, mixed, 0.0),
    ]
}
