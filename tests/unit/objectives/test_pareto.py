"""Pareto arithmetic against brute force and Monte Carlo, and the Pareto set of stored trials."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tunelab.objectives import (
    crowding_distance,
    dominates,
    hypervolume,
    hypervolume_contributions,
    nondominated_ranks,
    pareto_front,
    pareto_mask,
    pareto_points,
    parse_objectives,
)
from tunelab.trial import Trial, TrialState


@pytest.mark.parametrize("k", [2, 3])
def test_pareto_mask_matches_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    points = np.round(rng.random((80, k)), 1)  # rounding makes ties and duplicates
    brute = [not any(dominates(q, p) for q in points) for p in points]
    assert pareto_mask(points).tolist() == brute


def test_ranks_peel_fronts_and_put_infeasible_last() -> None:
    points = np.array([[0, 1], [1, 0], [1, 1], [2, 2], [0, 0]], dtype=float)
    violations = np.array([0, 0, 0, 0, 3.0])
    # [0, 0] dominates everything but breaks a constraint: it ranks after every feasible row.
    assert nondominated_ranks(points, violations).tolist() == [0, 0, 1, 2, 3]
    assert nondominated_ranks(points).tolist() == [1, 1, 2, 3, 0]


def test_hypervolume_exact_in_two_dimensions() -> None:
    # Staircase of (1, 3), (2, 2), (3, 1) under reference (4, 4): 3 + 2 + 1 unit columns.
    points = np.array([[1, 3], [2, 2], [3, 1], [3.5, 3.5]], dtype=float)
    assert hypervolume(points, np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert hypervolume(np.array([[5.0, 5.0]]), np.array([4.0, 4.0])) == 0.0


def test_hypervolume_in_three_dimensions_agrees_with_inclusion_exclusion() -> None:
    rng = np.random.default_rng(7)
    points = rng.random((6, 3))
    reference = np.ones(3)
    exact = 0.0
    for size in range(1, len(points) + 1):  # inclusion-exclusion over boxes [p, ref]
        for subset in itertools.combinations(points, size):
            corner = np.max(subset, axis=0)
            exact += (-1) ** (size + 1) * float(np.prod(reference - corner))
    assert hypervolume(points, reference) == pytest.approx(exact)


def test_contributions_and_crowding() -> None:
    points = np.array([[1, 3], [2, 2], [3, 1]], dtype=float)
    assert hypervolume_contributions(points, np.array([4.0, 4.0])).tolist() == pytest.approx([1, 1, 1])
    crowd = crowding_distance(np.array([[0, 4], [1, 3], [2, 2], [4, 0]], dtype=float))
    assert np.isinf(crowd[0])
    assert np.isinf(crowd[3])
    assert crowd[1] < crowd[2]


def _trial(seq: int, final: object, status: TrialState = TrialState.SUCCEEDED) -> Trial:
    return Trial(id=f"t{seq}", sequence=seq, parameters={"x": seq}, status=status, final_data=final)


def test_front_of_stored_trials_is_feasible_and_sorted_by_the_primary_objective() -> None:
    spec = parse_objectives(["acc:maximize", "latency_ms:minimize <= 20"])
    assert spec is not None
    trials = [
        _trial(0, {"acc": 0.90, "latency_ms": 10}),
        _trial(1, {"acc": 0.95, "latency_ms": 15}),
        _trial(2, {"acc": 0.99, "latency_ms": 40}),  # best accuracy but over the latency budget
        _trial(3, {"acc": 0.85, "latency_ms": 12}),  # dominated by trial 0
        _trial(4, {"acc": 0.97}),  # lacks latency: not eligible
        _trial(5, 0.5, TrialState.FAILED),
    ]
    points = pareto_points(trials, spec)
    assert [p.trial.sequence for p in points] == [0, 1, 2, 3]
    assert [p.on_front for p in points] == [True, True, False, False]
    assert not points[2].feasible
    assert points[2].violation == 20
    assert [p.trial.sequence for p in pareto_front(trials, spec)] == [1, 0]
    assert pareto_front(trials, spec)[0].to_dict()["values"] == {"acc": 0.95, "latency_ms": 15.0}


def test_without_a_feasible_trial_the_front_is_the_least_violating() -> None:
    spec = parse_objectives(["acc:maximize", "latency_ms:minimize <= 5"])
    assert spec is not None
    trials = [_trial(0, {"acc": 0.9, "latency_ms": 10}), _trial(1, {"acc": 0.95, "latency_ms": 30})]
    assert [p.trial.sequence for p in pareto_front(trials, spec)] == [0]


def _dominated_mask_brute(points: np.ndarray) -> list[bool]:
    return [not any(dominates(q, p) for q in points) for p in points]


@pytest.mark.parametrize(("n", "k"), [(1, 2), (2, 3), (60, 2), (200, 3), (300, 4), (600, 2), (700, 3)])
def test_pareto_mask_dense_and_sorted_paths_match_brute_force_with_ties(n: int, k: int) -> None:
    # 512 rows is where the mask switches from all pairs at once to the sorted sweep: both sides are covered.
    rng = np.random.default_rng(100 + n + k)
    points = np.round(rng.random((n, k)), 1)  # coarse grid: many ties and exact duplicates
    if n > 1:
        points[-1] = points[0]  # a guaranteed duplicate
    assert pareto_mask(points).tolist() == _dominated_mask_brute(points)


def _hypervolume_on_grid(points: np.ndarray, reference: np.ndarray) -> float:
    """Exact volume by cells: between consecutive distinct coordinates a cell is dominated or not as a whole."""
    inside = points[np.all(points < reference, axis=1)]
    if len(inside) == 0:
        return 0.0
    edges = [np.unique(np.append(inside[:, j], reference[j])) for j in range(points.shape[1])]
    lows = np.stack(np.meshgrid(*[e[:-1] for e in edges], indexing="ij"), axis=-1).reshape(-1, points.shape[1])
    sizes = np.stack(np.meshgrid(*[np.diff(e) for e in edges], indexing="ij"), axis=-1).reshape(-1, points.shape[1])
    covered = np.any(np.all(inside[None, :, :] <= lows[:, None, :], axis=2), axis=1)
    return float(np.sum(np.prod(sizes[covered], axis=1)))


@pytest.mark.parametrize(("n", "k", "seed"), [(1, 3, 0), (5, 3, 1), (40, 3, 2), (40, 3, 3), (25, 4, 4), (30, 2, 5)])
def test_hypervolume_matches_cell_counting_with_ties_duplicates_and_points_beyond_the_reference(
    n: int, k: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    points = np.round(rng.random((n, k)) * 1.2, 1)  # some rows reach past the reference on an objective
    if n > 2:
        points[1] = points[0]
        points[2, 0] = points[0, 0]  # a tie on the first objective only
    reference = np.ones(k)
    assert hypervolume(points, reference) == pytest.approx(_hypervolume_on_grid(points, reference))


def test_three_objective_hypervolume_of_continuous_points_matches_cell_counting() -> None:
    rng = np.random.default_rng(11)
    points = rng.random((60, 3))
    reference = np.array([1.1, 1.0, 1.3])
    assert hypervolume(points, reference) == pytest.approx(_hypervolume_on_grid(points, reference))
