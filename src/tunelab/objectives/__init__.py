"""Multi-objective experiments: the ``objectives`` of a config, and Pareto arithmetic over their values.

Names load on first use. :func:`objective_metric_problem` (the check trial processes run on a final result before
it leaves them) lives in :mod:`tunelab.base`, which the trial side may import; it is re-exported here.
"""

from __future__ import annotations

from tunelab.base import lazy_attributes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tunelab.base import objective_metric_problem
    from tunelab.objectives._front import (
        ParetoPoint,
        best_feasible,
        pareto_front,
        pareto_front_of,
        pareto_points,
    )
    from tunelab.objectives._pareto import (
        crowding_distance,
        dominates,
        hypervolume,
        hypervolume_contributions,
        nondominated_ranks,
        pareto_mask,
        reference_point,
    )
    from tunelab.objectives._spec import (
        Constraint,
        Mode,
        Objective,
        ObjectiveSpec,
        objective_spec_of,
        parse_objectives,
    )

_LAZY = {
    "objective_metric_problem": "tunelab.base",
    "ParetoPoint": "tunelab.objectives._front",
    "best_feasible": "tunelab.objectives._front",
    "pareto_front": "tunelab.objectives._front",
    "pareto_points": "tunelab.objectives._front",
    "pareto_front_of": "tunelab.objectives._front",
    **dict.fromkeys(("crowding_distance", "dominates", "hypervolume", "hypervolume_contributions", "nondominated_ranks", "pareto_mask", "reference_point"), "tunelab.objectives._pareto"),
    **dict.fromkeys(("Constraint", "Mode", "Objective", "ObjectiveSpec", "objective_spec_of", "parse_objectives"), "tunelab.objectives._spec"),
}

__all__ = [
    "Constraint",
    "Mode",
    "Objective",
    "ObjectiveSpec",
    "ParetoPoint",
    "best_feasible",
    "crowding_distance",
    "dominates",
    "hypervolume",
    "hypervolume_contributions",
    "nondominated_ranks",
    "objective_metric_problem",
    "objective_spec_of",
    "pareto_front",
    "pareto_front_of",
    "pareto_mask",
    "pareto_points",
    "parse_objectives",
    "reference_point",
]


__getattr__ = lazy_attributes(__name__, _LAZY)
