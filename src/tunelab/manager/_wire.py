"""The JSON shapes of trials on the wire (REST API, live feed, ``--json`` CLI output).

Light on purpose: the CLI imports it to print stored trials without loading the experiment loop.
"""

from __future__ import annotations

from typing import Any

from tunelab.base import encode_optional, json_encode
from tunelab.trial import Trial


def jsonable(value: Any) -> Any:
    """``value`` in the one JSON encoding (``tunelab.base``); objects of unknown types as strings."""
    return json_encode(value, default=str)


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
        "final": encode_optional(trial.final),
        "final_data": jsonable(trial.final_data),
        "message": trial.message,
        "attempt": trial.attempt,
        "pid": trial.pid,
        "intermediate_count": trial.intermediate_count,
        "latest_intermediate": encode_optional(trial.latest_intermediate),
        "note": note_of(trial),
    }


def note_of(trial: Trial) -> str:
    """The user's note on a trial (kept in ``extra``; empty when none)."""
    note = trial.extra.get("note", "") if trial.extra else ""
    return note if isinstance(note, str) else ""
