"""The ask/tell seam between the experiment loop and every algorithm.

A tuner sees only the search space, a read-only :class:`History` and a seeded ``numpy`` generator. It never
sees storage or the manager: that keeps algorithms testable in-process and benchmarkable without a server.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from tunelab.base import ConfigError
from tunelab.space import SearchSpace
from tunelab.trial import TrialState

OptimizeMode = Literal["maximize", "minimize"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One trial as a tuner sees it.

    ``value`` is the scalar final metric as reported (``None`` when the trial ended without one, e.g.
    failed); ``intermediate`` the scalar intermediate results in order; ``metrics`` the final result when
    it was a dict (``{"accuracy": 0.97, "latency_ms": 14.2}``), which multi-objective tuners read.
    """

    trial_id: str
    sequence: int
    parameters: Mapping[str, Any]
    state: TrialState
    value: float | None = None
    intermediate: Sequence[float] = ()
    metrics: Mapping[str, Any] | None = None

    @property
    def usable(self) -> bool:
        """True when the trial has a finite final value a model can learn from."""
        return self.value is not None and math.isfinite(self.value)


@dataclass
class History:
    """Read-only view of an experiment for a tuner (the owner appends; tuners only read).

    ``finished`` grows append-only in the order trials finished, so a tuner may cache derived arrays
    keyed by ``len(history.finished)``. ``pending`` holds the trials asked for but not finished (running
    or waiting), which parallel-aware tuners treat as "liars" or fantasies.
    """

    finished: list[Observation] = field(default_factory=list)
    pending: list[Observation] = field(default_factory=list)


class Tuner(ABC):
    """Base of every built-in tuner.

    Subclasses implement :meth:`suggest`. Class args arrive as keyword arguments named as in NNI
    (``optimize_mode``, ``seed``, ...). Reproducibility: the same space, class args, seed and sequence of
    histories give the same suggestions in any process.
    """

    #: NNI's default optimize mode for this algorithm (TPE and Anneal minimize; most others maximize).
    default_optimize_mode: OptimizeMode = "maximize"
    #: True for tuners whose proposals never depend on results (Random, GridSearch, Batch): any
    #: ``objectives`` suit them, however many and however constrained.
    objective_agnostic: ClassVar[bool] = False
    #: True for tuners that take ``objectives=`` (an :class:`~tunelab.objectives.ObjectiveSpec`) and honour
    #: several objectives and constraints (MOTPE, NSGA2, Auto).
    multi_objective: ClassVar[bool] = False

    def __init__(
        self, space: SearchSpace, *, optimize_mode: str | None = None, seed: int | None = None
    ) -> None:
        self.space = space
        mode = optimize_mode or self.default_optimize_mode
        if not isinstance(mode, str) or mode.lower() not in ("maximize", "minimize"):
            raise ConfigError(
                f'tuner.classArgs.optimize_mode: must be "maximize" or "minimize", got {optimize_mode!r}'
            )
        self.optimize_mode: OptimizeMode = "maximize" if mode.lower() == "maximize" else "minimize"
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ConfigError(f"tuner.classArgs.seed: must be a non-negative integer, got {seed!r}")
        if seed is None:
            # Draw the seed explicitly (as NNI does) so that a run can be reproduced from its logged seed.
            seed = int(np.random.default_rng().integers(2**31))
        self.seed: int = seed
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def suggest(self, history: History) -> dict[str, Any]:
        """Return the next parameters in NNI's format. Raise ``NoMoreTrialsError`` when exhausted."""

    def update_search_space(self, space: SearchSpace) -> None:
        """Called when the user changes the search space of a running experiment.

        The rule every tuner keeps (pinned by the tuner contract suite): afterwards, and in a tuner built
        on the new space and fed the old history (a resume after the change), every suggestion lies in
        the new space. Earlier trials inform the tuner only through the parameters the new space still
        has: removed parameters are dropped, numbers are clipped into new bounds, and a trial that lacks a
        parameter of the new space, or holds an option it no longer offers, is left out of the model.
        New parameters are sampled until trials that have them accumulate.
        """
        self.space = space

    def loss(self, value: float) -> float:
        """The value as a loss to minimize, whatever the optimize mode (NaN stays NaN)."""
        return value if self.optimize_mode == "minimize" else -value
