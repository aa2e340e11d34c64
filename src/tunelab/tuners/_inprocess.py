"""In-process use of any tuner: ``create_tuner(...).ask()/tell()`` and ``optimize(fn, space)``.

No processes, no storage: the wrapper keeps the :class:`History` a tuner reads, moving a suggestion from
``pending`` to ``finished`` when it is told. Several suggestions may be pending at once (a thread pool or
an external scheduler evaluating them), which parallel-aware tuners take into account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tunelab.base import InvalidInputError, NoMoreTrialsError
from tunelab.objectives import ObjectiveSpec, pareto_front, parse_objectives
from tunelab.space import SearchSpace
from tunelab.trial import Trial, TrialState
from tunelab.tuners._base import History, Observation, Tuner
from tunelab.tuners._registry import create_tuner_from_config


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One proposal: ``id`` (0, 1, ... in ask order) and ``parameters`` (a plain dict in NNI's format)."""

    id: int
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    """What :func:`optimize` found: the best parameters and value, and every (parameters, value) tried.

    With several objectives ``pareto_front`` lists the (parameters, objective values) no other feasible
    trial beats on every objective, best primary objective first; ``best_*`` are its first entry.
    """

    best_parameters: dict[str, Any] | None
    best_value: Any
    trials: list[tuple[dict[str, Any], Any]] = field(default_factory=list)
    pareto_front: list[tuple[dict[str, Any], dict[str, float]]] = field(default_factory=list)


class AskTellTuner:
    """A tuner driven by hand: :meth:`ask` for parameters, :meth:`tell` the result.

    Not thread-safe: call ``ask``/``tell`` from one thread (evaluations may run anywhere).
    """

    def __init__(self, tuner: Tuner, objectives: ObjectiveSpec | None = None) -> None:
        self.tuner = tuner
        self.objectives = objectives
        self.history = History()
        self._pending: dict[int, Observation] = {}
        self._intermediate: dict[int, list[float]] = {}
        self._next_id = 0

    @property
    def optimize_mode(self) -> str:
        return self.tuner.optimize_mode

    def ask(self) -> Suggestion:
        """The next parameters; raises ``NoMoreTrialsError`` when the tuner is exhausted."""
        params = self.tuner.suggest(self.history)
        ident = self._next_id
        self._next_id += 1
        obs = Observation(str(ident), ident, params, TrialState.RUNNING)
        self._pending[ident] = obs
        self.history.pending.append(obs)
        return Suggestion(ident, params)

    def report_intermediate(self, suggestion: Suggestion | int, value: float) -> None:
        """Record an intermediate result (used by Hyperband/BOHB-style tuners)."""
        ident = self._ident(suggestion)
        self._intermediate.setdefault(ident, []).append(float(value))

    def tell(self, suggestion: Suggestion | int, value: float | Mapping[str, Any] | None) -> None:
        """Record the final ``value`` of a suggestion; ``None`` marks the trial failed.

        With objectives, ``value`` is a dict holding each (``{"accuracy": 0.9, "latency_ms": 12}``); one
        lacking an objective counts as failed. NaN is recorded as given (tuners ignore it). Telling twice
        is an ``InvalidInputError``.
        """
        ident = self._ident(suggestion)
        metrics = dict(value) if isinstance(value, Mapping) else None
        if metrics is not None and self.objectives is None and "default" not in metrics:
            raise InvalidInputError(
                f"tell: a dict result needs a 'default' key or objectives=[...] naming its keys, got keys {sorted(metrics)}"
            )
        obs = self._pending.pop(ident)
        self.history.pending = [p for p in self.history.pending if p.trial_id != obs.trial_id]
        number = self._scalar(value, metrics)
        state = TrialState.FAILED if number is None else TrialState.SUCCEEDED
        curve = tuple(self._intermediate.pop(ident, ()))
        self.history.finished.append(
            Observation(obs.trial_id, obs.sequence, obs.parameters, state, number, curve, metrics)
        )

    def _scalar(self, value: float | Mapping[str, Any] | None, metrics: dict[str, Any] | None) -> float | None:
        """The number single-objective tuners rank by: the value, or the dict's primary objective."""
        if value is None:
            return None
        if metrics is None:
            return float(value)  # type: ignore[arg-type]
        if self.objectives is not None:
            if self.objectives.problem(metrics) is not None:
                return None
            return float(metrics[self.objectives.primary.name])
        return float(metrics["default"])

    def pareto_front(self) -> list[tuple[dict[str, Any], dict[str, float]]]:
        """(parameters, objective values) of the finished trials on the front, best primary first."""
        if self.objectives is None:
            return []
        told = [
            Trial(id=o.trial_id, sequence=o.sequence, parameters=o.parameters, status=o.state, final_data=o.metrics)
            for o in self.history.finished
            if o.metrics is not None
        ]
        return [(dict(p.trial.parameters), p.values) for p in pareto_front(told, self.objectives)]

    def _ident(self, suggestion: Suggestion | int) -> int:
        ident = suggestion.id if isinstance(suggestion, Suggestion) else int(suggestion)
        if ident not in self._pending:
            raise InvalidInputError(
                f"suggestion {ident}: not pending (never asked, or already told); tell each suggestion once"
            )
        return ident

    def best(self) -> tuple[dict[str, Any], float] | None:
        """The best finished (parameters, value) in this tuner's optimize mode, or ``None``."""
        usable = [obs for obs in self.history.finished if obs.usable]
        if not usable:
            return None
        sign = 1.0 if self.tuner.optimize_mode == "minimize" else -1.0
        top = min(usable, key=lambda obs: sign * float(obs.value or 0.0))
        return dict(top.parameters), float(top.value or 0.0)


def create_tuner(
    name: str = "Auto",
    space: SearchSpace | Mapping[str, Any] | None = None,
    *,
    objectives: ObjectiveSpec | Sequence[Any] | None = None,
    **class_args: Any,
) -> AskTellTuner:
    """A builtin tuner by NNI name over ``space`` (a dict in NNI's format or a SearchSpace), for ask/tell.

    ``class_args`` are NNI's (``optimize_mode``, ``seed``, ``tpe_args``, ...); e.g.
    ``create_tuner("TPE", space, optimize_mode="minimize", seed=0)``. ``objectives`` as in the config
    (``["accuracy:maximize", "latency_ms:minimize <= 20"]``) makes it multi-objective: tell dicts.
    """
    if space is None:
        raise InvalidInputError("create_tuner: space is required (a search space dict in NNI's format)")
    spec = parse_objectives(objectives)
    return AskTellTuner(create_tuner_from_config(name, space, class_args, objectives=spec), spec)


def optimize(
    fn: Callable[[dict[str, Any]], Any],
    space: SearchSpace | Mapping[str, Any],
    *,
    n_trials: int = 100,
    tuner: str = "Auto",
    optimize_mode: str = "minimize",
    seed: int | None = None,
    catch: Sequence[type[Exception]] = (),
    objectives: ObjectiveSpec | Sequence[Any] | None = None,
    **class_args: Any,
) -> OptimizeResult:
    """Minimize (or maximize) a cheap ``fn(parameters) -> value`` in this process, one trial at a time.

    With ``objectives`` (e.g. ``["error:minimize", "cost:minimize"]``) ``fn`` returns a dict holding each,
    ``optimize_mode`` is unused, and the result's ``pareto_front`` holds the trade-offs found.
    Stops after ``n_trials`` or when the tuner runs out of distinct parameters. Exceptions from ``fn``
    propagate unless their type is in ``catch``, in which case the trial counts as failed.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise InvalidInputError(f"optimize: n_trials must be a positive integer, got {n_trials!r}")
    spec = parse_objectives(objectives)
    if spec is None:
        driver = create_tuner(tuner, space, optimize_mode=optimize_mode, seed=seed, **class_args)
    else:
        driver = create_tuner(tuner, space, objectives=spec, seed=seed, **class_args)
    trials: list[tuple[dict[str, Any], Any]] = []
    for _ in range(n_trials):
        try:
            suggestion = driver.ask()
        except NoMoreTrialsError:
            break
        try:
            raw = fn(dict(suggestion.parameters))
        except tuple(catch):
            raw = None
        value = None if raw is None else (dict(raw) if isinstance(raw, Mapping) else float(raw))
        driver.tell(suggestion, value)
        trials.append((suggestion.parameters, value))
    if spec is not None and spec.multi:
        front = driver.pareto_front()
        first = front[0] if front else None
        return OptimizeResult(first[0] if first else None, first[1] if first else None, trials, front)
    best = driver.best()
    return OptimizeResult(best[0] if best else None, best[1] if best else None, trials)
