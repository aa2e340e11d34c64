"""Downsampling for charts: keep the shape of a series with a bounded number of points."""

from __future__ import annotations

from collections.abc import Sequence


def lttb_indices(xs: Sequence[float], ys: Sequence[float], max_points: int) -> list[int]:
    """Indices of the points kept by largest-triangle-three-buckets (first and last always kept).

    ``xs`` must be ascending. Returns every index when the series already fits; ``max_points`` < 3
    keeps only the ends.
    """
    n = len(xs)
    if n <= max_points:
        return list(range(n))
    if max_points < 3:
        return [0, n - 1][: max(1, max_points)] if n > 1 else [0]
    kept = [0]
    bucket = (n - 2) / (max_points - 2)
    previous = 0
    for i in range(max_points - 2):
        start = int(i * bucket) + 1
        end = int((i + 1) * bucket) + 1
        next_start, next_end = end, min(int((i + 2) * bucket) + 1, n)
        # The average of the next bucket is the third corner of the triangles (the last point at the end).
        if next_start >= next_end:
            avg_x, avg_y = xs[n - 1], ys[n - 1]
        else:
            span = next_end - next_start
            avg_x = sum(xs[next_start:next_end]) / span
            avg_y = sum(ys[next_start:next_end]) / span
        ax, ay = xs[previous], ys[previous]
        chosen, largest = start, -1.0
        for j in range(start, min(end, n - 1)):
            area = abs((ax - avg_x) * (ys[j] - ay) - (ax - xs[j]) * (avg_y - ay))
            if area > largest:
                chosen, largest = j, area
        kept.append(chosen)
        previous = chosen
    kept.append(n - 1)
    return kept


def stride_indices(n: int, max_points: int) -> list[int]:
    """``max_points`` evenly spread indices of ``range(n)`` (all of them when they fit), ends included."""
    if n <= max_points:
        return list(range(n))
    if max_points <= 1:
        return [0][:max_points]
    step = (n - 1) / (max_points - 1)
    return sorted({round(i * step) for i in range(max_points)})
