"""The experiment resource: detail, budget and search-space updates, stop, export, best, list."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from tunelab.base import InvalidInputError, NotFoundError, TunelabError
from tunelab.config import parse_duration
from tunelab.manager import (
    best_json,
    best_trial,
    counts,
    export_csv,
    export_records,
    failures_json,
    objective_spec_of,
    optimize_mode_of,
    pareto_json,
    trial_json,
)
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context
from tunelab.storage import ExperimentRecord, ExperimentStore
from tunelab.trial import Trial, TrialState

router = APIRouter(prefix="/api/v1", tags=["experiment"])


class ExperimentUpdate(BaseModel):
    """Fields a user may change on a live experiment (NNI's ``nnictl update``)."""

    model_config = ConfigDict(extra="forbid")

    trialConcurrency: int | None = Field(default=None, gt=0)
    maxTrialNumber: int | None = Field(default=None, gt=0)
    maxExperimentDuration: str | int | float | None = None
    searchSpace: dict[str, Any] | None = None


@router.get("/health", tags=["health"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/experiment")
def get_experiment(context: AppContext = Depends(get_context)) -> dict[str, Any]:
    return experiment_json(context)


def experiment_json(context: AppContext) -> dict[str, Any]:
    """The overview: status, budget, counts, best and baseline. Reads only indexed aggregates, never every
    trial, so it stays fast at 10,000 trials."""
    store = context.reader
    record = store.get_experiment()
    manager = context.manager
    status = manager.status.value if manager is not None else record.status.value
    # The manager's clock runs while it waits after DONE; the run's time is what was stored when it ended.
    elapsed = manager.elapsed if manager is not None and manager.status.is_active else record.elapsed
    config = dict(manager.config.to_dict()) if manager is not None else dict(record.config)
    mode = optimize_mode_of(config)
    best = best_trial(store, mode, config=config)
    baseline = _baseline(store, record)
    return {
        "id": record.id,
        "name": record.name,
        "status": status,
        "error": record.error,
        "read_only": manager is None,
        "created_at": record.created_at,
        "run_started_at": record.run_started_at,
        "ended_at": record.ended_at,
        "elapsed": elapsed,
        "max_duration_s": _max_duration_s(config),
        "optimize_mode": mode,
        "config": config,
        "counts": counts(store),
        "failures": failures_json(store, record.id),
        "best": trial_json(best) if best is not None else None,
        "baseline": trial_json(baseline) if baseline is not None else None,
        # Several objectives: the overview lists the Pareto front instead of one best trial.
        "pareto": _front_summary(store, config),
        "experiment_dir": str(context.experiment_dir),
        "note": _note(record),
        "server_time": time.time(),
    }


def _front_summary(store: ExperimentStore, config: dict[str, Any]) -> dict[str, Any] | None:
    spec = objective_spec_of(config)
    if spec is None or not spec.multi:
        return None
    return pareto_json(store.list_trials(), spec)


def _max_duration_s(config: dict[str, Any]) -> float | None:
    value = config.get("maxExperimentDuration")
    if value is None:
        return None
    try:
        return parse_duration(value, field="maxExperimentDuration")
    except TunelabError:
        return None  # a stored config was validated when saved; an odd value only hides the progress bar


def _baseline(store: ExperimentStore, record: ExperimentRecord) -> Trial | None:
    trial_id = record.extra.get("baseline_trial") if record.extra else None
    if not trial_id:
        return None
    try:
        return store.get_trial(str(trial_id))
    except NotFoundError:
        return None


# Routes that call the manager are async: its methods must run on the manager's loop thread, and FastAPI
# runs plain `def` routes in a worker thread.
@router.patch("/experiment")
async def update_experiment(update: ExperimentUpdate, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    manager = context.live()
    given = update.model_dump(exclude_none=True)
    if not given:
        raise InvalidInputError(
            "body: name at least one of trialConcurrency, maxTrialNumber, maxExperimentDuration, searchSpace"
        )
    warnings: list[str] = []
    if update.searchSpace is not None:
        manager.update_search_space(update.searchSpace)
    if update.trialConcurrency is not None:
        warning = manager.update_concurrency(update.trialConcurrency)
        warnings += [warning] if warning else []
    if update.maxTrialNumber is not None:
        manager.update_max_trial_number(update.maxTrialNumber)
    if update.maxExperimentDuration is not None:
        manager.update_max_duration(update.maxExperimentDuration)
    return {**experiment_json(context), **({"warnings": warnings} if warnings else {})}


class ExperimentNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str


@router.put("/experiment/note")
async def set_experiment_note(body: ExperimentNote, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Replace the user's note on the experiment (empty text clears it)."""
    context.live().set_experiment_note(body.note)
    return experiment_json(context)


@router.post("/experiment/stop")
async def stop_experiment(context: AppContext = Depends(get_context)) -> dict[str, Any]:
    manager = context.live()
    await manager.stop()
    return {"status": manager.status.value}


@router.get("/best")
def get_best(context: AppContext = Depends(get_context)) -> dict[str, Any] | None:
    """NNI's best trial; for several objectives the Pareto set (as ``GET /pareto``), None before any result."""
    config = context.config()
    spec = objective_spec_of(config)
    if spec is not None and spec.multi:
        front = pareto_json(context.reader.list_trials(), spec)
        return front if front["front"] else None
    return best_json(best_trial(context.reader, config=config))


@router.get("/pareto")
def get_pareto(
    points: bool = Query(False, description="Also list every eligible trial's objective values and flags."),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    """The Pareto front over the experiment's objectives (feasible trials first), best primary first.

    404 for a single-objective experiment, which has a best trial (``GET /best``) instead."""
    config = context.config()
    spec = objective_spec_of(config)
    if spec is None or not spec.multi:
        raise NotFoundError("this experiment has one objective: GET /api/v1/best gives its best trial")
    return pareto_json(context.reader.list_trials(), spec, every_point=points)


@router.get("/export", response_model=None)
def export(
    format: str = Query("json", pattern="^(json|csv)$"),
    intermediate: bool = False,
    context: AppContext = Depends(get_context),
) -> Any:
    if format == "csv":
        return PlainTextResponse(export_csv(context.reader, intermediate=intermediate), media_type="text/csv")
    return export_records(context.reader, intermediate=intermediate)


@router.get("/experiments")
def list_experiments(context: AppContext = Depends(get_context)) -> list[dict[str, Any]]:
    from tunelab.manager import read_info
    from tunelab.storage import scan_experiments

    result = []
    for listing in scan_experiments(context.experiments_root):
        record = listing.record
        info = read_info(listing.directory)
        entry: dict[str, Any] = {
            "id": listing.directory.name,
            "directory": str(listing.directory),
            "error": listing.error,
        }
        if record is not None:
            entry.update(
                name=record.name, status=record.status.value, created_at=record.created_at,
                ended_at=record.ended_at, best=listing.best_final,
                counts={state.value: n for state, n in listing.trial_counts.items()},
                failed=listing.trial_counts.get(TrialState.FAILED, 0),
                url=info.url if info else None, running=info is not None,
            )
        result.append(entry)
    return result


@router.post("/experiments/{experiment_id}/view")
def view_experiment(experiment_id: str, request: Request, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Open another experiment: the URL of its running manager, or of a read-only viewer started now."""
    from tunelab.server._viewer import open_viewer

    if experiment_id == context.experiment_id:
        return {"experiment_id": experiment_id, "url": "/", "started": False}
    url, started = open_viewer(context.experiments_root, experiment_id, request.app.state.settings)
    return {"experiment_id": experiment_id, "url": url, "started": started}


def _note(record: ExperimentRecord) -> str:
    note = record.extra.get("note", "") if record.extra else ""
    return note if isinstance(note, str) else ""
