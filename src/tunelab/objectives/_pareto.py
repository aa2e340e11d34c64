"""Pareto arithmetic on loss vectors (every objective minimised; maximised ones are negated first).

Rows are trials, columns objectives. ``violations`` (one number per row, 0 = feasible) give Deb's
constrained domination: a feasible row beats an infeasible one, and of two infeasible rows the one closer
to feasibility wins; among feasible rows the usual Pareto domination holds.
"""

from __future__ import annotations

import numpy as np

#: Up to this many rows the Pareto mask compares all pairs in one array operation (n^2 * k booleans).
_DENSE_LIMIT = 512


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """True when loss vector ``a`` is no worse than ``b`` everywhere and better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def pareto_mask(losses: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows (duplicates of a front point are all on the front).

    Sorting lexicographically first means a row can only be dominated by rows before it, so each row is
    compared with the front found so far: O(n * front size) rather than O(n^2).
    """
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    if n <= _DENSE_LIMIT:
        # All pairs at once: for the sizes a tuner sees on every ask this beats the Python loop below.
        no_worse = np.all(losses[:, None, :] <= losses[None, :, :], axis=2)
        better = np.any(losses[:, None, :] < losses[None, :, :], axis=2)
        return np.asarray(~np.any(no_worse & better, axis=0))
    order = np.lexsort(losses.T[::-1])
    front: list[int] = []
    for index in order:
        row = losses[index]
        if front:
            kept = losses[front]
            if np.any(np.all(kept <= row, axis=1) & np.any(kept < row, axis=1)):
                continue
        front.append(int(index))
    mask[front] = True
    return mask


def nondominated_ranks(losses: np.ndarray, violations: np.ndarray | None = None) -> np.ndarray:
    """The front index of each row (0 = non-dominated), under constrained domination.

    Feasible rows are ranked first by peeling fronts; infeasible rows follow, ordered by violation (one
    rank per distinct violation), so an infeasible trial never outranks a feasible one.
    """
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    ranks = np.full(n, -1, dtype=np.int64)
    feasible = np.ones(n, dtype=bool) if violations is None else np.asarray(violations) <= 0
    remaining = np.flatnonzero(feasible)
    rank = 0
    while len(remaining):
        mask = pareto_mask(losses[remaining])
        ranks[remaining[mask]] = rank
        remaining = remaining[~mask]
        rank += 1
    if violations is not None and not feasible.all():
        infeasible = np.flatnonzero(~feasible)
        _, level = np.unique(np.asarray(violations)[infeasible], return_inverse=True)
        ranks[infeasible] = rank + level
    return ranks


def hypervolume(losses: np.ndarray, reference: np.ndarray) -> float:
    """The volume dominated by ``losses`` and bounded by ``reference`` (rows beyond it add nothing).

    Exact: a sweep in two dimensions, slicing along the last objective above that (fast for the front
    sizes of hyperparameter searches: hundreds of points in up to four objectives).
    """
    points = np.asarray(losses, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if len(points) == 0:
        return 0.0
    points = points[np.all(points < reference, axis=1)]
    if len(points) == 0:
        return 0.0
    points = points[pareto_mask(points)]
    return _hv(points, reference)


def _hv(points: np.ndarray, reference: np.ndarray) -> float:
    k = points.shape[1]
    if k == 1:
        return float(reference[0] - points[:, 0].min())
    if k == 2:
        order = np.argsort(points[:, 0], kind="stable")
        xs, ys = points[order, 0], points[order, 1]
        best_y = np.minimum.accumulate(ys)
        widths = np.append(xs[1:], reference[0]) - xs
        return float(np.sum(widths * (reference[1] - best_y)))
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    tops = np.append(points[1:, -1], reference[-1])
    if k == 3:
        return _hv3(points, reference, tops)
    volume = 0.0
    for i in range(len(points)):
        depth = tops[i] - points[i, -1]
        if depth <= 0:
            continue
        slab = points[: i + 1, :-1]
        # The two-objective sweep copes with dominated rows itself (a running minimum), and filtering
        # each slab in Python dominated the cost of three-objective volumes; deeper slabs are filtered.
        volume += depth * _hv(slab if slab.shape[1] == 2 else slab[pareto_mask(slab)], reference[:-1])
    return volume


def _hv3(points: np.ndarray, reference: np.ndarray, tops: np.ndarray) -> float:
    """Three objectives, ``points`` sorted by the last: every slab's two-objective sweep at once.

    Slab i holds rows 0..i; in x order, a row outside the slab counts as +inf in the running minimum of y,
    so row i of the matrix is the slab's sweep (areas clipped at 0 before the slab's first row).
    """
    n = len(points)
    by_x = np.argsort(points[:, 0], kind="stable")
    xs = points[by_x, 0]
    widths = np.append(xs[1:], reference[0]) - xs
    member = by_x[None, :] <= np.arange(n)[:, None]  # [slab, x-rank]: row by_x[j] is in slab i
    ys = np.where(member, points[by_x, 1][None, :], np.inf)
    best = np.minimum.accumulate(ys, axis=1)
    areas = (widths[None, :] * np.maximum(reference[1] - best, 0.0)).sum(axis=1)
    return float(np.sum(np.maximum(tops - points[:, 2], 0.0) * areas))


def hypervolume_contributions(losses: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """What each row adds to the hypervolume of all rows: HV(all) - HV(all but that row)."""
    points = np.asarray(losses, dtype=float)
    total = hypervolume(points, reference)
    out = np.empty(len(points))
    for i in range(len(points)):
        out[i] = total - hypervolume(np.delete(points, i, axis=0), reference)
    return out


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance within one front (boundary rows get infinity)."""
    points = np.asarray(losses, dtype=float)
    n, k = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(points[:, j], kind="stable")
        column = points[order, j]
        span = column[-1] - column[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


def reference_point(losses: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """A reference point just beyond the worst row on every objective (the usual choice when the user
    gives none): worst + ``margin`` * range, or + ``margin`` * |worst| (or ``margin``) on a flat objective."""
    points = np.asarray(losses, dtype=float)
    worst, best = points.max(axis=0), points.min(axis=0)
    span = worst - best
    pad = np.where(span > 0, span, np.where(worst != 0, np.abs(worst), 1.0)) * margin
    return np.asarray(worst + pad)
