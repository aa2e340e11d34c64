"""The rank plot (optuna-dashboard's): parameter values of the scored trials, each coloured by the rank of
its final value among all scored trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab.analysis._parallel import cell_of, dimensions, scored_trials
from tunelab.analysis._params import check_mode, finite, flatten_parameters
from tunelab.trial import Trial


def final_ranks(trials: Sequence[Trial], mode: str) -> dict[str, int]:
    """Rank of every trial with a finite final value: 1 is the best under ``mode``. Equal finals share
    the better rank (1, 2, 2, 4), so two equal results never get two colours."""
    mode = check_mode(mode)
    sign = -1.0 if mode == "maximize" else 1.0
    scored = [(value, t) for t in trials if (value := finite(t.final)) is not None]
    scored.sort(key=lambda pair: (sign * pair[0], pair[1].sequence))
    ranks: dict[str, int] = {}
    previous: float | None = None
    rank = 0
    for position, (value, t) in enumerate(scored, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[t.id] = rank
    return ranks


def rank_plot(trials: Sequence[Trial], mode: str, *, max_rows: int = 2000) -> dict[str, Any]:
    """Rows of parameter values over ``dimensions`` (as in :func:`parallel_coordinates`, without the
    metric column), with each row's ``final`` and ``rank`` (1 = best of ``total``).

    Ranks are taken over every scored trial before thinning to ``max_rows`` (the best quarter is always
    kept), so a drawn point's colour means the same whatever was sampled away.
    """
    mode = check_mode(mode)
    ranks = final_ranks(trials, mode)
    chosen = scored_trials(trials, mode, max_rows=max_rows)
    flat = [flatten_parameters(t.parameters) for t in chosen]
    axes = dimensions(flat)
    rows = [[cell_of(axis, row.get(axis["key"])) for axis in axes] for row in flat]
    return {"mode": mode, "dimensions": axes, "rows": rows, "final": [finite(t.final) for t in chosen],
            "rank": [ranks[t.id] for t in chosen], "trial_ids": [t.id for t in chosen],
            "total": len(ranks), "sampled": len(chosen) < len(ranks)}
