"""An asynchronous experiment on simulated time: up to C trials running at once, finishing out of order.

Each asked trial gets a duration drawn from a seeded lognormal distribution (the i-th ask of a seed gets the
same duration whatever the tool, so tools race on the same schedule). An event queue advances a simulated
clock to the next finish (no real sleeping); the finished trial is told to the tool before the next ask,
and the free slots are refilled at once. That is what a real experiment with ``trialConcurrency: C`` does:
every ask but the first C sees the running trials as pending. At C = 1 it is the sequential loop.

The values come back in completion order, so "regret after N completed trials" is the minimum of the first
N values. Tools are driven through their own ask/tell APIs with several trials outstanding:

- tunelab: ``create_tuner(...).ask()/tell()`` (pending suggestions are in the tuner's ``History``);
- Optuna 5: ``study.ask()/tell()`` with ``TPESampler(constant_liar=True)`` or ``GPSampler`` (which
  conditions on running trials itself); GPSampler needs torch and is skipped when it does not import.

hyperopt has no ask/tell API (its parallel modes need MongoDB or Spark workers) and NNI runs only in its
own venv behind a sequential worker, so neither races in parallel.
"""

from __future__ import annotations

import heapq
import logging
import warnings
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from _functions import PROBLEMS
from _peers import _optuna_suggest

#: Spread of the trial durations: log-duration ~ N(0, 0.5), so 95 % of trials take 0.37x to 2.7x the
#: median and a slow trial is often overtaken by several fast ones.
DURATION_SIGMA = 0.5


class Driver(Protocol):
    """One tool's ask/tell over one problem: ``ask`` returns (a handle, the parameters)."""

    def ask(self) -> tuple[Any, dict[str, Any]]: ...

    def tell(self, handle: Any, value: float) -> None: ...


def durations(seed: int, count: int) -> np.ndarray:
    """The simulated durations of the first ``count`` asks of a seed (independent of tool and C)."""
    return np.random.default_rng([seed, 0xA5_1C]).lognormal(0.0, DURATION_SIGMA, size=count)


def simulate(
    driver: Driver, objective: Callable[[dict[str, Any]], float], n_trials: int, concurrency: int, seed: int
) -> list[float]:
    """Run ``n_trials`` with up to ``concurrency`` pending; the objective values in completion order."""
    times = durations(seed, n_trials)
    running: list[tuple[float, int, Any, dict[str, Any]]] = []  # (finish time, ask index, handle, params)
    clock, asked, values = 0.0, 0, []
    while len(values) < n_trials:
        while asked < n_trials and len(running) < concurrency:
            handle, params = driver.ask()
            heapq.heappush(running, (clock + float(times[asked]), asked, handle, params))
            asked += 1
        clock, _, handle, params = heapq.heappop(running)
        value = float(objective(params))
        driver.tell(handle, value)
        values.append(value)
    return values


class TunelabDriver:
    def __init__(self, name: str, problem: str, seed: int) -> None:
        from tunelab.tuners import create_tuner

        self._tuner = create_tuner(name, PROBLEMS[problem].space, optimize_mode="minimize", seed=seed)

    def ask(self) -> tuple[Any, dict[str, Any]]:
        suggestion = self._tuner.ask()
        return suggestion, dict(suggestion.parameters)

    def tell(self, handle: Any, value: float) -> None:
        self._tuner.tell(handle, value)


class OptunaDriver:
    def __init__(self, sampler: str, problem: str, seed: int) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        logging.getLogger("optuna").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        self._space = PROBLEMS[problem].space
        chosen = (
            optuna.samplers.TPESampler(seed=seed, constant_liar=True)
            if sampler == "TPE"
            # The problems are deterministic, which GPSampler is told (its documented setting for them).
            else optuna.samplers.GPSampler(seed=seed, deterministic_objective=True)
        )
        self._study = optuna.create_study(sampler=chosen, direction="minimize")

    def ask(self) -> tuple[Any, dict[str, Any]]:
        trial = self._study.ask()
        return trial, {name: _optuna_suggest(trial, name, p) for name, p in self._space.items()}

    def tell(self, handle: Any, value: float) -> None:
        self._study.tell(handle, value)


def driver(tool: str, problem: str, seed: int) -> Driver:
    family, name = tool.split(":", 1)
    if family == "tunelab":
        return TunelabDriver(name, problem, seed)
    if family == "optuna" and name in ("TPE", "GP"):
        return OptunaDriver(name, problem, seed)
    raise ValueError(
        f"--tools: {tool!r} cannot race in parallel; use tunelab:<tuner>, optuna:TPE or optuna:GP"
    )


def run_parallel(tool: str, problem: str, seed: int, n_trials: int, concurrency: int) -> list[float]:
    return simulate(driver(tool, problem, seed), PROBLEMS[problem].objective, n_trials, concurrency, seed)


def unavailable(tool: str) -> str | None:
    """Why ``tool`` cannot run here (None when it can)."""
    if tool == "optuna:GP":
        try:
            import torch  # noqa: F401
        except ImportError as err:
            return f"optuna:GP skipped: GPSampler needs torch ({err}); pip install torch==2.13.0"
    if tool.startswith("optuna:"):
        try:
            import optuna  # noqa: F401
        except ImportError as err:
            return f"{tool} skipped: {err}"
    return None
