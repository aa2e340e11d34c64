"""NNI's grid enumeration with progressive refinement of numeric parameters.

Epoch 1 takes every option of categorical dims and the midpoint (u = 1/2) of numeric dims. Each later
epoch adds the midpoints of the intervals still divisible (1/4 and 3/4, then the eighths, ...) and yields
only the combinations that use at least one new point. An interval is divisible while its two ends give
different parameter values after q-rounding and clipping, so quantized dims stop refining on their own and
a space made of finite dims ends. Unlike NNI, the clip bounds of bounded q-types are added once a dim's
interior is exhausted, so a finite grid really covers every value. Dims of a nested choice that the current combination does not select are
held still, so each distinct parameter set is produced once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tunelab.space._keys import params_key
from tunelab.space._params import Numeric

if TYPE_CHECKING:
    from tunelab.space._space import Dim, SearchSpace


def iter_grid(space: SearchSpace) -> Iterator[dict[str, Any]]:
    """Yield the parameter sets of ``space`` in NNI GridSearch order (see the module docstring)."""
    dims = space.dims
    if not dims:
        yield {}
        return
    grid: list[list[float]] = []
    divisions: list[list[tuple[float, float]]] = []
    for dim in dims:
        if isinstance(dim.param, Numeric):
            grid.append([0.5])
            divisions.append([iv for iv in ((0.0, 0.5), (0.5, 1.0)) if _less(dim.param, *iv)])
        else:
            grid.append([float(i) for i in range(dim.param.cardinality)])
            divisions.append([])
    seen: set[str] = set()
    bar = [0] * len(dims)
    while True:
        for vector in _vectors(dims, grid):
            if all(v < b for v, b in zip(vector, bar, strict=True)):
                continue  # every coordinate is from an earlier epoch: already produced
            params = space.decode(np.array([grid[i][v] for i, v in enumerate(vector)]))
            key = params_key(params)
            if key not in seen:
                seen.add(key)
                yield params
        bar = [len(points) for points in grid]
        if not _refine(dims, grid, divisions):
            return


def _vectors(dims: Sequence[Dim], grid: Sequence[Sequence[float]]) -> Iterator[tuple[int, ...]]:
    """Odometer over grid indices, last active dim fastest; inactive dims stay at 0."""
    vector = [0] * len(dims)
    while True:
        yield tuple(vector)
        active = _active(dims, vector)
        for i in reversed(range(len(dims))):
            if not active[i]:
                continue
            if vector[i] + 1 < len(grid[i]):
                vector[i] += 1
                break
            vector[i] = 0
        else:
            return


def _active(dims: Sequence[Dim], vector: Sequence[int]) -> list[bool]:
    active: list[bool] = []
    for dim in dims:
        parent = dim.parent
        active.append(parent is None or (active[parent] and vector[parent] == dim.parent_option))
    return active


def _refine(dims: Sequence[Dim], grid: list[list[float]], divisions: list[list[tuple[float, float]]]) -> bool:
    updated = False
    for i, dim in enumerate(dims):
        if not isinstance(dim.param, Numeric):
            continue
        new_points: list[float] = []
        new_divisions: list[tuple[float, float]] = []
        for left, right in divisions[i]:
            mid = (left + right) / 2
            left_ok, right_ok = _less(dim.param, left, mid), _less(dim.param, mid, right)
            if left_ok and right_ok:
                new_points.append(mid)
                updated = True
            if left_ok:
                new_divisions.append((left, mid))
            if right_ok:
                new_divisions.append((mid, right))
        if not new_points and not dim.param.normal:
            new_points = _missing_ends(dim.param, grid[i])
            updated = updated or bool(new_points)
        grid[i].extend(new_points)
        divisions[i] = new_divisions
    return updated


def _missing_ends(param: Numeric, points: Sequence[float]) -> list[float]:
    # NNI's bisection never reaches u = 0 or 1, so it misses the clip bounds of q-types (quniform
    # [2, 10, 5] would stop at {5}). Once a dim's interior is exhausted, add the ends it has not produced.
    values = {param.real_at(u) for u in points}
    return [end for end in (0.0, 1.0) if param.real_at(end) not in values]


def _less(param: Numeric, x: float, y: float) -> bool:
    return param.real_at(x) < param.real_at(y)
