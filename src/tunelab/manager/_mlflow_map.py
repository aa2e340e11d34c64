"""Pure mappings from tunelab's records to MLflow's shapes (names, params, metrics, statuses).

No MLflow import here: these are plain functions over the feed's JSON, tested without MLflow installed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: MLflow's limits (``mlflow.utils.validation``): longer params and tags are refused, not cut.
PARAM_VALUE_MAX = 6000
TAG_VALUE_MAX = 5000
BATCH_PARAMS_MAX = 100
BATCH_METRICS_MAX = 1000

#: tunelab trial state -> MLflow run status. An assessor's early stop and a user's cancel both end a run
#: that did not fail on its own, which MLflow calls KILLED; ``tunelab.status`` keeps the exact state.
TRIAL_STATUS = {
    "SUCCEEDED": "FINISHED",
    "FAILED": "FAILED",
    "EARLY_STOPPED": "KILLED",
    "USER_CANCELED": "KILLED",
}
#: tunelab experiment status -> the parent run's status, for the statuses that end a run.
EXPERIMENT_STATUS = {
    "DONE": "FINISHED",
    "ERROR": "FAILED",
    "STOPPED": "KILLED",
}

TAG_EXPERIMENT = "tunelab.experiment_id"
TAG_ROLE = "tunelab.role"
TAG_TRIAL = "tunelab.trial_id"
TAG_SEQUENCE = "tunelab.sequence"
TAG_ATTEMPT = "tunelab.attempt"
TAG_SOURCE = "tunelab.source"
TAG_STATUS = "tunelab.status"
TAG_MESSAGE = "tunelab.message"
TAG_PARENT = "mlflow.parentRunId"
TAG_RUN_NAME = "mlflow.runName"

INTERMEDIATE = "intermediate"
FINAL = "final"

_BAD_NAME = re.compile(r"[^A-Za-z0-9_\-./ ]")


def metric_name(prefix: str, key: str | None = None) -> str:
    """``intermediate`` / ``final`` for the scalar, ``final.loss`` for a dict's other numeric keys;
    characters MLflow refuses in a name become ``_``."""
    return prefix if key is None else f"{prefix}.{_BAD_NAME.sub('_', key)}"


def numeric_items(prefix: str, value: Any, data: Any) -> Iterator[tuple[str, float]]:
    """The metrics one reported value gives: the scalar tunelab ranks by, then every other finite
    numeric key of a dict result. Non-finite numbers are left out (MLflow's stores differ on them)."""
    if _finite(value):
        yield metric_name(prefix), float(value)
    if isinstance(data, Mapping):
        for key, item in data.items():
            if key != "default" and isinstance(key, str) and _finite(item):
                yield metric_name(prefix, key), float(item)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def flat_params(parameters: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Trial parameters as MLflow params: nested choices flattened to ``outer.inner``, values as text
    (JSON for lists, so ``[1, 2]`` reads as written), cut to MLflow's length limit."""
    out: dict[str, str] = {}
    for key, value in parameters.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flat_params(value, prefix=name + "."))
        else:
            out[name] = _text(value)[:PARAM_VALUE_MAX]
    return out


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def experiment_params(config: Mapping[str, Any]) -> dict[str, str]:
    """The parent run's params: each search-space entry (``search_space.lr``), the tuner and assessor
    names and the config's scalar keys (``config.trialConcurrency``). The whole config is an artifact."""
    out: dict[str, str] = {}
    for name, spec in (config.get("searchSpace") or {}).items():
        out[f"search_space.{name}"] = _text(spec)[:PARAM_VALUE_MAX]
    for key in ("tuner", "assessor"):
        algorithm = config.get(key)
        if isinstance(algorithm, Mapping):
            out[f"{key}.name"] = str(algorithm.get("name") or algorithm.get("className") or "")
            for arg, value in (algorithm.get("classArgs") or {}).items():
                out[f"{key}.{arg}"] = _text(value)[:PARAM_VALUE_MAX]
    for key, value in config.items():
        if isinstance(value, (str, int, float, bool)) and key != "searchSpace":
            out[f"config.{key}"] = _text(value)[:PARAM_VALUE_MAX]
    return out


def trial_tags(experiment_id: str, trial: Mapping[str, Any]) -> dict[str, str]:
    return {
        TAG_EXPERIMENT: experiment_id,
        TAG_ROLE: "trial",
        TAG_TRIAL: str(trial["id"]),
        TAG_SEQUENCE: str(trial.get("sequence", "")),
        TAG_ATTEMPT: str(trial.get("attempt", 0)),
        TAG_SOURCE: str(trial.get("source", "")),
    }


def trial_run_name(trial: Mapping[str, Any]) -> str:
    return f"trial-{trial.get('sequence', '?')}-{trial['id']}"


def millis(seconds: Any) -> int | None:
    return int(seconds * 1000) if isinstance(seconds, (int, float)) and seconds > 0 else None


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
