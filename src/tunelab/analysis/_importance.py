"""Parameter importance: how much of the final metric's variance each parameter explains on its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tunelab.analysis._params import finite, flatten_parameters, is_number, label_of
from tunelab.trial import Trial

NUMERIC_BINS = 10
MIN_TRIALS = 4


def parameter_importance(trials: Sequence[Trial]) -> dict[str, Any]:
    """The correlation ratio (eta squared) of the final value on each parameter, normalised to sum 1.

    Numeric parameters are cut into ``NUMERIC_BINS`` equal-count bins (so a log-uniform parameter is
    treated like a uniform one), categorical ones group by value. A parameter is scored over the trials
    that have it. This is a one-at-a-time measure: cheap, deterministic and honest about interactions
    it cannot see. ``importance`` is sorted, most important first; empty below ``MIN_TRIALS`` trials.
    """
    scored = [(flatten_parameters(t.parameters), v) for t in trials if (v := finite(t.final)) is not None]
    keys: dict[str, None] = {}
    for flat, _ in scored:
        for key in flat:
            keys.setdefault(key, None)
    raw: dict[str, float] = {}
    if len(scored) >= MIN_TRIALS:
        for key in keys:
            pairs = [(flat[key], value) for flat, value in scored if flat.get(key) is not None]
            raw[key] = _eta_squared(_groups(pairs)) if len(pairs) >= MIN_TRIALS else 0.0
    total = sum(raw.values())
    ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "trials": len(scored),
        "importance": [{"key": k, "importance": (v / total if total > 0 else 0.0), "eta_squared": v}
                       for k, v in ranked],
    }


def _groups(pairs: Sequence[tuple[Any, float]]) -> list[list[float]]:
    if all(is_number(p) for p, _ in pairs):
        ordered = sorted(pairs, key=lambda pair: pair[0])
        bins = min(NUMERIC_BINS, len(ordered))
        size = len(ordered) / bins
        groups: list[list[float]] = []
        for b in range(bins):
            chunk = ordered[int(b * size) : int((b + 1) * size)]
            # equal parameter values must share a bin, or ties would fake an effect
            if groups and chunk and ordered[int(b * size) - 1][0] == chunk[0][0]:
                groups[-1].extend(v for _, v in chunk)
            elif chunk:
                groups.append([v for _, v in chunk])
        return groups
    by_label: dict[str, list[float]] = defaultdict(list)
    for param, value in pairs:
        by_label[label_of(param)].append(value)
    return list(by_label.values())


def _eta_squared(groups: Sequence[Sequence[float]]) -> float:
    values = [v for g in groups for v in g]
    mean = sum(values) / len(values)
    total = sum((v - mean) ** 2 for v in values)
    if total <= 0 or len(groups) < 2:
        return 0.0
    between = sum(len(g) * (sum(g) / len(g) - mean) ** 2 for g in groups if g)
    return min(1.0, between / total)
