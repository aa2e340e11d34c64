"""Intermediate-result curves, downsampled per curve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.analysis._downsample import lttb_indices
from tunelab.analysis._params import check_mode, finite
from tunelab.trial import Metric, MetricKind, Trial


def intermediate_curves(
    metrics: Mapping[str, Sequence[Metric]], *, max_points: int = 200
) -> dict[str, Any]:
    """One curve per trial id (in the mapping's order): ``sequence``/``value`` columns of its finite
    intermediate (PERIODICAL) values, thinned by LTTB to ``max_points``; ``total`` is the count before
    thinning. FINAL metrics in the input are ignored: they are not a step of the curve."""
    curves = []
    for trial_id, items in metrics.items():
        points = sorted(
            ((m.sequence, v) for m in items
             if m.kind is MetricKind.PERIODICAL and (v := finite(m.value)) is not None), key=lambda p: p[0]
        )
        xs = [float(p[0]) for p in points]
        ys = [p[1] for p in points]
        kept = lttb_indices(xs, ys, max_points)
        curves.append({"trial_id": trial_id, "sequence": [points[i][0] for i in kept],
                       "value": [points[i][1] for i in kept], "total": len(points)})
    return {"curves": curves, "max_points": max_points}


def curve_trials(trials: Sequence[Trial], mode: str, *, top: int) -> list[Trial]:
    """Which curves to draw when the user selected none: the ``top`` best finished trials, then the
    running ones (their curves are the live part), each group in sequence order."""
    mode = check_mode(mode)
    sign = -1.0 if mode == "maximize" else 1.0
    finished = sorted((t for t in trials if finite(t.final) is not None),
                      key=lambda t: (sign * (t.final or 0.0), t.sequence))[:top]
    running = [t for t in trials if t.status.value == "RUNNING" and t.intermediate_count > 0]
    chosen = sorted(finished, key=lambda t: t.sequence)
    return chosen + sorted(running, key=lambda t: t.sequence)[: max(0, top - len(chosen))]
