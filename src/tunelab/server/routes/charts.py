"""Chart data for the UI (and any client): thin wrappers over :mod:`tunelab.analysis`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from tunelab import analysis
from tunelab.base import InvalidInputError
from tunelab.manager import optimize_mode_of
from tunelab.objectives import objective_spec_of
from tunelab.server._cache import TrialSnapshot
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context
from tunelab.storage import matches, parse_filter
from tunelab.trial import Trial

router = APIRouter(prefix="/api/v1", tags=["charts"])
MAX_SELECTED = 50
FILTER = Query("", max_length=2000, description="only the trials this filter matches (the trials table's grammar)")


def _snapshot(request: Request, context: AppContext, filter: str = "") -> Sequence[Trial]:
    cache: TrialSnapshot = request.app.state.trial_snapshot
    return _only(cache.trials(context), filter)


def _only(trials: Sequence[Trial], filter: str) -> Sequence[Trial]:
    """The trials a filter matches, so the charts show what the table shows (a bad filter is a 422)."""
    if not filter.strip():
        return trials
    query = parse_filter(filter)
    return [t for t in trials if matches(t, query)]


def _computed(request: Request, context: AppContext, name: tuple[object, ...],
              compute: Callable[[Sequence[Trial]], dict[str, Any]], filter: str = "") -> dict[str, Any]:
    """Chart data for the current trial snapshot, computed once per snapshot and filter (charts are read
    often)."""
    cache: TrialSnapshot = request.app.state.trial_snapshot
    result: dict[str, Any] = cache.computed(context, (*name, filter.strip()), lambda trials: compute(_only(trials, filter)))
    return result


def _mode(context: AppContext) -> str:
    return optimize_mode_of(context.config())


@router.get("/charts/history")
def history(request: Request, max_points: int = Query(2000, ge=10, le=100_000), filter: str = FILTER,
            context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Final value per trial with the best-so-far step line (downsampled to ``max_points``); with
    constrained objectives only the trials meeting them set the best."""
    config = context.config()
    mode, spec = optimize_mode_of(config), objective_spec_of(config)
    may_lead = (lambda t: spec.feasible(t.final_data or {})) if spec is not None and spec.constrained else None
    return _computed(request, context, ("history", mode, max_points),
                     lambda trials: analysis.optimization_history(trials, mode, max_points=max_points,
                                                                  may_lead=may_lead), filter)


@router.get("/charts/parallel")
def parallel(request: Request, max_rows: int = Query(1000, ge=10, le=100_000), filter: str = FILTER,
             context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Parallel-coordinates rows: parameters then the final value (sampled to ``max_rows``)."""
    mode = _mode(context)
    return _computed(request, context, ("parallel", mode, max_rows),
                     lambda trials: analysis.parallel_coordinates(trials, mode, max_rows=max_rows), filter)


@router.get("/charts/slice")
def slice_plot(request: Request, max_rows: int = Query(2000, ge=10, le=100_000), filter: str = FILTER,
               context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """One scatter per parameter: parameter value against the final value."""
    mode = _mode(context)
    return _computed(request, context, ("slice", mode, max_rows),
                     lambda trials: analysis.slice_plot(trials, mode, max_rows=max_rows), filter)


@router.get("/charts/rank")
def rank(request: Request, max_rows: int = Query(2000, ge=10, le=100_000), filter: str = FILTER,
         context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Parameter values coloured by the rank of the final value (1 = best), ranked over every scored trial."""
    mode = _mode(context)
    return _computed(request, context, ("rank", mode, max_rows),
                     lambda trials: analysis.rank_plot(trials, mode, max_rows=max_rows), filter)


@router.get("/charts/importance")
def importance(request: Request, filter: str = FILTER, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Share of the final value's variance each parameter explains alone (eta squared, normalised)."""
    return _computed(request, context, ("importance",), analysis.parameter_importance, filter)


@router.get("/charts/timeline")
def timeline(request: Request, max_rows: int = Query(2000, ge=1, le=100_000), filter: str = FILTER,
             context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Start/end of the latest ``max_rows`` started trials and a histogram of all durations."""
    return analysis.timeline(_snapshot(request, context, filter), now=time.time(), max_rows=max_rows)


@router.get("/charts/columns")
def columns(request: Request, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Optional table columns: flattened parameter keys and dict-metric keys."""
    return _computed(request, context, ("columns",), analysis.trial_columns)


@router.get("/charts/curves")
def curves(
    request: Request,
    trials: list[str] | None = Query(None, description="trial ids (repeatable or comma-separated); "
                                     "default: the best finished and the running trials"),
    top: int = Query(20, ge=1, le=MAX_SELECTED),
    max_points: int = Query(200, ge=3, le=10_000),
    filter: str = FILTER,
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    """Intermediate-result curves, each thinned to ``max_points`` (LTTB)."""
    ids = _ids(trials)
    if not ids:
        ids = [t.id for t in analysis.curve_trials(_snapshot(request, context, filter), _mode(context), top=top)]
    store = context.reader
    return analysis.intermediate_curves({i: store.get_metrics(i) for i in ids}, max_points=max_points)


@router.get("/compare")
def compare(
    trials: list[str] = Query(..., description="two or more trial ids (repeatable or comma-separated)"),
    max_points: int = Query(200, ge=3, le=10_000),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    """Selected trials side by side (parameters, metrics, which rows differ) and their curves."""
    ids = _ids(trials)
    if len(ids) < 2:
        raise InvalidInputError(f"trials: compare needs at least 2 trial ids, got {len(ids)}")
    store = context.reader
    records = [store.get_trial(i) for i in ids]  # NotFoundError (404) names a wrong id
    table = analysis.compare_trials(records)
    table["curves"] = analysis.intermediate_curves(
        {i: store.get_metrics(i) for i in ids}, max_points=max_points)["curves"]
    return table


def _ids(values: list[str] | None) -> list[str]:
    ids: dict[str, None] = {}
    for value in values or ():
        for part in value.split(","):
            if part.strip():
                ids.setdefault(part.strip(), None)
    if len(ids) > MAX_SELECTED:
        raise InvalidInputError(f"trials: at most {MAX_SELECTED} trial ids at once, got {len(ids)}")
    return list(ids)
