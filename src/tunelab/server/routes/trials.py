"""The trial resource: list, detail (parameters, metrics, events), customized trials, kill."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict

from tunelab.base import InvalidInputError
from tunelab.manager import trial_json
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context
from tunelab.trial import MetricKind, TrialState

router = APIRouter(prefix="/api/v1", tags=["trials"])


class CustomizedTrial(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any]


@router.get("/trials")
def list_trials(
    status: list[str] | None = Query(None, description="only these statuses (repeatable)"),
    offset: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=10_000),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    states = [_state(s) for s in status] if status else None
    trials = context.store.list_trials(states)
    page = trials[offset : offset + limit]
    return {"total": len(trials), "offset": offset, "limit": limit, "trials": [trial_json(t) for t in page]}


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
            {"sequence": m.sequence, "value": m.value, "data": m.data, "timestamp": m.timestamp}
            for m in metrics if m.kind == MetricKind.PERIODICAL
        ],
        "events": [{"id": e.id, "timestamp": e.timestamp, "kind": e.kind, "data": dict(e.data)} for e in events],
    }


@router.post("/trials", status_code=201)
def add_customized_trial(body: CustomizedTrial, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    trial, warnings = context.live().add_customized_trial(body.parameters)
    return {"trial": trial_json(trial), "warnings": warnings}


@router.post("/trials/{trial_id}/kill")
async def kill_trial(trial_id: str, context: AppContext = Depends(get_context)) -> dict[str, Any]:
    trial = await context.live().kill_trial(trial_id)
    return trial_json(trial)
