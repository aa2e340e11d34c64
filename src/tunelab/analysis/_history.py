"""Optimization history: each trial's final value in trial order, with the best-so-far line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tunelab.analysis._params import better, check_mode, finite
from tunelab.trial import Trial


def optimization_history(trials: Sequence[Trial], mode: str, *, max_points: int = 2000,
                         may_lead: Callable[[Trial], bool] | None = None) -> dict[str, Any]:
    """Columnar chart data: ``points`` (sequence, value, trial id) and ``best`` (a step line).

    Only trials with a finite final value appear. When there are more than ``max_points`` of them, the
    points are downsampled per sequence bucket keeping each bucket's lowest and highest value, and every
    trial that improved the best is always kept, so the chart keeps its envelope and its steps.
    ``best`` lists only the improvements plus the last trial (draw it with ``step: 'end'``).
    ``may_lead``: which trials may set the best (a constrained experiment's infeasible trials are drawn
    but never lead); ``constrained`` in the answer says a filter was applied.
    """
    mode = check_mode(mode)
    scored = sorted(
        ((t.sequence, value, t.id, may_lead is None or may_lead(t)) for t in trials
         if (value := finite(t.final)) is not None),
        key=lambda row: row[0],
    )
    rows = [(sequence, value, trial_id) for sequence, value, trial_id, _ in scored]
    best_rows: list[tuple[int, float, str]] = []
    current: float | None = None
    improved: set[int] = set()
    for index, (sequence, value, trial_id, leads) in enumerate(scored):
        if leads and better(value, current, mode):
            current = value
            best_rows.append((sequence, value, trial_id))
            improved.add(index)
    if best_rows and best_rows[-1][0] != rows[-1][0]:
        best_rows.append((rows[-1][0], best_rows[-1][1], best_rows[-1][2]))
    kept = _envelope(rows, max_points, improved)
    return {
        "mode": mode,
        "total": len(rows),
        "constrained": may_lead is not None,
        "sampled": len(kept) < len(rows),
        "points": _columns([rows[i] for i in kept]),
        "best": _columns(best_rows),
    }


def _columns(rows: Sequence[tuple[int, float, str]]) -> dict[str, list[Any]]:
    return {"sequence": [r[0] for r in rows], "value": [r[1] for r in rows], "trial_id": [r[2] for r in rows]}


def _envelope(rows: Sequence[tuple[int, float, str]], max_points: int, always: set[int]) -> list[int]:
    if len(rows) <= max_points:
        return list(range(len(rows)))
    buckets = max(1, max_points // 2)
    size = len(rows) / buckets
    kept = set(always)
    for b in range(buckets):
        chunk = range(int(b * size), min(int((b + 1) * size), len(rows)))
        if len(chunk) == 0:
            continue
        kept.add(min(chunk, key=lambda i: rows[i][1]))
        kept.add(max(chunk, key=lambda i: rows[i][1]))
    return sorted(kept)
