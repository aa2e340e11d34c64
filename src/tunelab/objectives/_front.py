"""The Pareto set of an experiment's trials: what ``best``, ``show``, the REST API and the UI present."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab.objectives._pareto import pareto_mask
from tunelab.objectives._spec import ObjectiveSpec
from tunelab.trial import Trial


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """One trial with a usable result: its objective values, whether it meets the constraints, and
    whether it is on the front (no other eligible trial is at least as good on every objective)."""

    trial: Trial
    values: dict[str, float]
    violation: float
    on_front: bool

    @property
    def feasible(self) -> bool:
        return self.violation == 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "trialId": self.trial.id,
            "sequence": self.trial.sequence,
            "status": self.trial.status.value,
            "parameters": dict(self.trial.parameters),
            "values": self.values,
            "feasible": self.feasible,
            "violation": self.violation,
            "onFront": self.on_front,
        }


def pareto_points(trials: Iterable[Trial], spec: ObjectiveSpec) -> list[ParetoPoint]:
    """Every trial whose final result holds all objectives, in sequence order, with its front flag.

    The front is taken among the feasible trials; when none is feasible, among those closest to
    feasibility (least total violation), so a user always sees the trials worth looking at first.
    """
    eligible = [t for t in trials if spec.problem(t.final_data) is None]
    eligible.sort(key=lambda t: t.sequence)
    if not eligible:
        return []
    losses = np.array([spec.losses(t.final_data) for t in eligible], dtype=float)
    violations = np.array([spec.violation(t.final_data) for t in eligible])
    candidates = np.flatnonzero(violations == violations.min())
    front = np.zeros(len(eligible), dtype=bool)
    front[candidates[pareto_mask(losses[candidates])]] = True
    return [
        ParetoPoint(t, dict(zip(spec.names, spec.values(t.final_data), strict=True)), float(v), bool(f))
        for t, v, f in zip(eligible, violations, front, strict=True)
    ]


def pareto_front(trials: Iterable[Trial], spec: ObjectiveSpec) -> list[ParetoPoint]:
    """The front only, ordered by the primary objective, best first."""
    return pareto_front_of(pareto_points(trials, spec), spec)


def pareto_front_of(points: Iterable[ParetoPoint], spec: ObjectiveSpec) -> list[ParetoPoint]:
    """The points of :func:`pareto_points` that are on the front, best primary objective first."""
    front = [p for p in points if p.on_front]
    primary = spec.primary
    sign = -1.0 if primary.mode == "maximize" else 1.0
    return sorted(front, key=lambda p: (sign * p.values[primary.name], p.trial.sequence))


def best_feasible(trials: Iterable[Trial], spec: ObjectiveSpec) -> Trial | None:
    """The trial with the best primary objective among those meeting every constraint (ties: the earlier),
    or None when none does: with constraints, the best a user is shown must be one they can use."""
    front = pareto_front(trials, spec)
    return front[0].trial if front and front[0].feasible else None
