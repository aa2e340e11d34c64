"""Parameters against the final metric: parallel coordinates and one slice plot per parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunelab.analysis._downsample import stride_indices
from tunelab.analysis._params import check_mode, finite, flatten_parameters, is_number, label_of
from tunelab.trial import Trial

#: A numeric parameter is drawn on a log axis when it is positive and spans this many times.
LOG_SPAN = 100.0


def scored_trials(trials: Sequence[Trial], mode: str, *, max_rows: int | None = None) -> list[Trial]:
    """Trials with a finite final value in sequence order; beyond ``max_rows``, a sample that keeps
    the best quarter and spreads the rest evenly, so brushing still finds the good region."""
    mode = check_mode(mode)
    scored = sorted((t for t in trials if finite(t.final) is not None), key=lambda t: t.sequence)
    if max_rows is None or len(scored) <= max_rows:
        return scored
    sign = -1.0 if mode == "maximize" else 1.0
    ranked = sorted(scored, key=lambda t: (sign * (t.final or 0.0), t.sequence))
    top = ranked[: max_rows // 4]
    rest = ranked[max_rows // 4 :]
    rest = sorted(rest, key=lambda t: t.sequence)
    chosen = {t.id for t in top} | {rest[i].id for i in stride_indices(len(rest), max_rows - len(top))}
    return [t for t in scored if t.id in chosen]


def dimensions(flat_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One axis per parameter key: numeric (with range and a log hint) or categorical (with labels)."""
    keys: dict[str, None] = {}
    for row in flat_rows:
        for key in row:
            keys.setdefault(key, None)
    axes = []
    for key in keys:
        values = [row[key] for row in flat_rows if row.get(key) is not None]
        if values and all(is_number(v) and math.isfinite(v) for v in values):
            low, high = min(values), max(values)
            axes.append({"key": key, "type": "numeric", "min": low, "max": high,
                         "log": low > 0 and high / low >= LOG_SPAN})
        else:
            labels = sorted({label_of(v) for v in values})
            axes.append({"key": key, "type": "categorical", "categories": labels})
    return axes


def cell_of(axis: dict[str, Any], value: Any) -> Any:
    """A value as drawn on its axis: numbers as they are, categorical values as their labels."""
    if value is None:
        return None
    return value if axis["type"] == "numeric" else label_of(value)


def parallel_coordinates(trials: Sequence[Trial], mode: str, *, max_rows: int = 1000) -> dict[str, Any]:
    """Rows of ``[param values..., final]`` over ``dimensions`` (the last column is the metric).

    Categorical cells are labels from the axis ``categories``; a parameter a trial lacks (a nested
    choice not taken) is None. ``sampled`` says whether rows were thinned to ``max_rows``.
    """
    total = sum(1 for t in trials if finite(t.final) is not None)
    chosen = scored_trials(trials, mode, max_rows=max_rows)
    flat = [flatten_parameters(t.parameters) for t in chosen]
    axes = dimensions(flat)
    rows = [[cell_of(axis, row.get(axis["key"])) for axis in axes] + [finite(t.final)]
            for row, t in zip(flat, chosen, strict=True)]
    return {"mode": check_mode(mode), "dimensions": axes, "rows": rows, "trial_ids": [t.id for t in chosen],
            "total": total, "sampled": len(chosen) < total}


def slice_plot(trials: Sequence[Trial], mode: str, *, max_rows: int = 2000) -> dict[str, Any]:
    """Per parameter: its values (``x``) against the final value (``y``), with the trial ids."""
    chosen = scored_trials(trials, mode, max_rows=max_rows)
    flat = [flatten_parameters(t.parameters) for t in chosen]
    plots = []
    for axis in dimensions(flat):
        key = axis["key"]
        pairs = [(cell_of(axis, row.get(key)), finite(t.final), t.id) for row, t in zip(flat, chosen, strict=True)
                 if row.get(key) is not None]
        plots.append({**axis, "x": [p[0] for p in pairs], "y": [p[1] for p in pairs],
                      "trial_id": [p[2] for p in pairs]})
    total = sum(1 for t in trials if finite(t.final) is not None)
    return {"mode": check_mode(mode), "parameters": plots, "total": total, "sampled": len(chosen) < total}
