"""The trial resource: paged/sorted/filtered list, detail (parameters, metrics, events), customized
trials, kill."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from tunelab.base import InvalidInputError, encode_optional, json_encode
from tunelab.manager import trial_json
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context
from tunelab.storage import TrialQuery, parse_filter
from tunelab.trial import MetricKind, TrialState

router = APIRouter(prefix="/api/v1", tags=["trials"])

FILTER_HELP = (
    "filter grammar, all tokens must hold: status:FAILED,RUNNING  lr>0.01  lr=0.001..0.01  optimizer=sgd,adam  "
    "final>0.9  duration<60  metric.loss<0.2  model._name=cnn  free words"
)


class CustomizedTrial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any]


@router.get("/trials")
def list_trials(
    status: list[str] | None = Query(None, description="only these statuses (repeatable)"),
    filter: str = Query("", description=FILTER_HELP, max_length=2000),
    sort: str = Query("sequence", description="sequence, final, duration, ..., params.<key>, metric.<key>"),
    order: str = Query("asc", pattern="^(asc|desc)$"),
    offset: int = Query(0, ge=0, le=10**12),  # bounded: SQLite raises OverflowError beyond 2**63 - 1
    limit: int = Query(100, ge=1, le=10_000),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    """One page of trials, filtered and sorted by the store (missing values sort last either way)."""
    query = parse_filter(filter, sort=sort, descending=order == "desc", offset=offset, limit=limit)
    if status:
        query = _with_statuses(query, [_state(s) for s in status])
    page = context.store.query_trials(query)
    return {"total": page.total, "offset": offset, "limit": limit, "trials": [trial_json(t) for t in page.trials]}


def _with_statuses(query: TrialQuery, states: list[TrialState]) -> TrialQuery:
    """``status=`` parameters narrow the statuses the filter text allows (both must hold)."""
    allowed = [s for s in states if not query.statuses or s in query.statuses]
    if not allowed:
        raise InvalidInputError(
            "status: the status parameters and the status: tokens of the filter exclude each other; "
            "remove one of them"
        )
    return dataclasses.replace(query, statuses=tuple(allowed))


def _state(value: str) -> TrialState:
    try:
        return TrialState(value.upper())
    except ValueError:
        known = ", ".join(s.value for s in TrialState)
        raise InvalidInputError(f"status: unknown trial status {value!r}; use one of {known}") from None


@router.get("/trials/{trial_id}")
def get_trial(trial_id: str, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    trial = context.store.get_trial(trial_id)
    metrics = context.store.get_metrics(trial_id)
    events = context.store.list_events(trial_id=trial_id)
    return {
        **trial_json(trial),
        "intermediate": [
            {"sequence": m.sequence, "value": encode_optional(m.value), "data": json_encode(m.data, default=str), "timestamp": m.timestamp}
            for m in metrics if m.kind == MetricKind.PERIODICAL
        ],
        "events": [{"id": e.id, "timestamp": e.timestamp, "kind": e.kind, "data": dict(e.data)} for e in events],
        "tensorboard": _tensorboard(context, trial.id, trial.sequence),
    }


def _tensorboard(context: AppContext, trial_id: str, sequence: int) -> dict[str, str] | None:
    """How to open the trial's TensorBoard files, or None when it wrote none (the UI shows the command:
    TensorBoard is a separate server, started on the user's machine)."""
    from tunelab.manager import has_event_files, tensorboard_dir

    if not has_event_files(tensorboard_dir(context.experiment_dir, trial_id)):
        return None
    return {"command": f"tunelab tensorboard {context.experiment_id} --trials {sequence}"}


@router.post("/trials", status_code=201)
async def add_customized_trial(body: CustomizedTrial, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    trial, warnings = context.live().add_customized_trial(body.parameters)
    return {"trial": trial_json(trial), "warnings": warnings}


class TrialNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str


@router.put("/trials/{trial_id}/note")
async def set_trial_note(trial_id: str, body: TrialNote, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    """Replace the user's note on a trial (empty text clears it)."""
    return trial_json(context.live().set_trial_note(trial_id, body.note))


@router.post("/trials/{trial_id}/kill")
async def kill_trial(trial_id: str, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    trial = await context.live().kill_trial(trial_id)
    return trial_json(trial)
