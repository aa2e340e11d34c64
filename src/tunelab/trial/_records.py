"""Immutable records of trials and metrics. Live state belongs to the manager; these are snapshots."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from tunelab.trial._state import TrialState


class TrialSource(str, Enum):
    """Who chose a trial's parameters (NNI's ``parameter_source`` plus ``imported``)."""

    ALGORITHM = "algorithm"
    CUSTOMIZED = "customized"
    RESUMED = "resumed"
    IMPORTED = "imported"


class MetricKind(str, Enum):
    """NNI's metric types: one ``FINAL`` per trial, any number of ``PERIODICAL`` (intermediate)."""

    PERIODICAL = "PERIODICAL"
    FINAL = "FINAL"


@dataclass(frozen=True, slots=True)
class Metric:
    """One reported metric. ``value`` is the scalar (``data`` itself or ``data['default']``)."""

    trial_id: str
    kind: MetricKind
    sequence: int
    value: float
    data: Any
    timestamp: float


@dataclass(frozen=True, slots=True)
class Trial:
    """Snapshot of one trial as stored.

    ``sequence`` is NNI's "Trial No." (0-based, unique per experiment); ``final`` is the scalar of the
    first FINAL report (``None`` until then); ``final_data`` the raw reported value (number or dict).
    """

    id: str
    sequence: int
    parameters: Mapping[str, Any]
    status: TrialState = TrialState.WAITING
    source: TrialSource = TrialSource.ALGORITHM
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    final: float | None = None
    final_data: Any = None
    message: str = ""
    attempt: int = 0
    pid: int | None = None
    intermediate_count: int = 0
    latest_intermediate: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def evolve(self, **changes: Any) -> Trial:
        """Return a copy with ``changes`` applied (records are never mutated)."""
        return replace(self, **changes)

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at
        return None if end is None else max(0.0, end - self.started_at)

    @property
    def has_usable_final(self) -> bool:
        """A final value that can be ranked: present and finite (NaN and infinities never rank)."""
        return self.final is not None and math.isfinite(self.final)
