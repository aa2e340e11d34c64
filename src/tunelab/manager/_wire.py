"""The JSON shapes of trials on the wire (REST API, live feed, ``--json`` CLI output).

Light on purpose: the CLI imports it to print stored trials without loading the experiment loop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tunelab.trial import Trial


def json_float(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return str(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def trial_json(trial: Trial) -> dict[str, Any]:
    """The JSON shape of a trial in the REST API, the live feed and ``--json`` CLI output."""
    return {
        "id": trial.id,
        "sequence": trial.sequence,
        "status": trial.status.value,
        "parameters": jsonable(trial.parameters),
        "source": trial.source.value,
        "created_at": trial.created_at,
        "started_at": trial.started_at,
        "ended_at": trial.ended_at,
        "duration": trial.duration,
        "final": json_float(trial.final),
        "final_data": jsonable(trial.final_data),
        "message": trial.message,
        "attempt": trial.attempt,
        "pid": trial.pid,
        "intermediate_count": trial.intermediate_count,
        "latest_intermediate": json_float(trial.latest_intermediate),
    }
