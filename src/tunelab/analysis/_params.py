"""Flat views of trial parameters and metrics: the columns every table and chart shares."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.trial import Trial


def flatten_parameters(parameters: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested choices become dotted keys (``model._name``, ``model.dropout``), as in the filter grammar."""
    flat: dict[str, Any] = {}
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_parameters(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def finite(value: float | None) -> float | None:
    """``value`` when it is a finite number, else None (NaN and infinities cannot be drawn)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def label_of(value: Any) -> str:
    """How a categorical value is shown: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def trial_columns(trials: Sequence[Trial]) -> dict[str, list[str]]:
    """The optional table columns: flattened parameter keys and dict-metric keys, in first-seen order."""
    params: dict[str, None] = {}
    metrics: dict[str, None] = {}
    for trial in trials:
        for key in flatten_parameters(trial.parameters):
            params.setdefault(key, None)
        if isinstance(trial.final_data, Mapping):
            for key in trial.final_data:
                metrics.setdefault(str(key), None)
    return {"parameters": list(params), "metrics": list(metrics)}


def better(value: float, than: float | None, mode: str) -> bool:
    """Strictly better under ``mode`` (``maximize`` or ``minimize``); anything beats None."""
    if than is None:
        return True
    return value > than if mode == "maximize" else value < than


def check_mode(mode: str) -> str:
    from tunelab.base import InvalidInputError

    lowered = mode.lower()
    if lowered not in ("maximize", "minimize"):
        raise InvalidInputError(f"optimize mode: must be maximize or minimize, got {mode!r}")
    return lowered
