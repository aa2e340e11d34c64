"""Conversions between records and database values, shared by every backend.

JSON columns hold strict JSON (SQLite's JSON functions and PostgreSQL's ``jsonb`` both reject ``NaN``), so
non-finite floats inside JSON are written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` and
read back as floats. REAL columns store NaN as SQL ``NULL`` (SQLite cannot store NaN at all); where a NULL
is ambiguous the decoders below use a companion column to tell "absent" from "NaN".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from tunelab.trial import Metric, MetricKind, Trial, TrialSource, TrialState

_NONFINITE_OUT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _to_plain(value: Any) -> Any:
    """Make ``value`` strict-JSON-serializable: non-finite floats to strings, numpy scalars to Python."""
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars and 0-d arrays
    if callable(item):
        return _to_plain(item())
    raise TypeError(f"cannot store {type(value).__name__} {value!r:.80} as JSON")


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dump_json(value: Any) -> str:
    """Serialize ``value`` as compact strict JSON (see the module docstring for non-finite floats)."""
    try:
        # Fast path (metric bursts): plain JSON needs no walk. NaN/inf raise ValueError, numpy TypeError.
        return _ENCODE(value)
    except (ValueError, TypeError):
        return _ENCODE(_to_plain(value))


def _restore(value: Any) -> Any:
    if isinstance(value, str):
        return _NONFINITE_OUT.get(value, value)
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v) for v in value]
    return value


def load_json(text: str | None) -> Any:
    """Inverse of :func:`dump_json`. ``None`` (SQL NULL) loads as ``None``."""
    if text is None:
        return None
    value = json.loads(text)
    # Fast path: only walk the value when a non-finite marker can be in it.
    if "NaN" in text or "Infinity" in text:
        return _restore(value)
    return value


def real_in(value: float | None) -> float | None:
    """A float for a REAL column: NaN becomes NULL (decoded back by :func:`real_out`)."""
    if value is None or math.isnan(value):
        return None
    return float(value)


def real_out(value: float | None, *, present: bool) -> float | None:
    """Decode a REAL column written by :func:`real_in`: NULL is NaN when ``present``, else ``None``."""
    if value is None:
        return math.nan if present else None
    return float(value)


# Column order of every trial SELECT; keep in step with trial_from_row().
TRIAL_COLUMNS = (
    "id, sequence, parameters, status, source, created_at, started_at, ended_at, final, final_data, "
    "message, attempt, pid, intermediate_count, latest_intermediate, extra"
)


def trial_from_row(row: tuple[Any, ...]) -> Trial:
    (tid, sequence, parameters, status, source, created_at, started_at, ended_at, final, final_data,
     message, attempt, pid, count, latest, extra) = row  # fmt: skip
    return Trial(
        id=tid,
        sequence=int(sequence),
        parameters=load_json(parameters),
        status=TrialState(status),
        source=TrialSource(source),
        created_at=float(created_at),
        started_at=started_at,
        ended_at=ended_at,
        final=real_out(final, present=final_data is not None),
        final_data=load_json(final_data),
        message=message,
        attempt=int(attempt),
        pid=pid,
        intermediate_count=int(count),
        latest_intermediate=real_out(latest, present=count > 0),
        extra=load_json(extra),
    )


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def search_text(parameters: Any) -> str:
    """The ``trials.search_text`` column: every string leaf of ``parameters`` (non-finite numbers as
    their marker strings), ASCII-lower-cased, one per line. A needle without a newline is in a leaf
    exactly when it is in this text, so free-text search needs no JSON walk."""
    leaves: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            leaves.append(value)
        elif isinstance(value, float) and not math.isfinite(value):
            leaves.append(str(_encode_float(value)))

    walk(parameters)
    return "\n".join(leaves).translate(_ASCII_LOWER)


def trial_to_row(experiment_id: str, trial: Trial) -> tuple[Any, ...]:
    """Values for ``INSERT INTO trials (experiment_id, <TRIAL_COLUMNS>, search_text)``."""
    has_final = trial.final is not None
    return (
        experiment_id,
        trial.id,
        trial.sequence,
        dump_json(trial.parameters),
        TrialState(trial.status).value,
        TrialSource(trial.source).value,
        trial.created_at,
        trial.started_at,
        trial.ended_at,
        real_in(trial.final),
        dump_json(trial.final_data) if has_final else None,
        trial.message,
        trial.attempt,
        trial.pid,
        trial.intermediate_count,
        real_in(trial.latest_intermediate),
        dump_json(trial.extra),
        search_text(trial.parameters),
    )


METRIC_COLUMNS = "trial_id, kind, sequence, value, data, timestamp"


def metric_from_row(row: tuple[Any, ...]) -> Metric:
    trial_id, kind, sequence, value, data, timestamp = row
    return Metric(
        trial_id=trial_id,
        kind=MetricKind(kind),
        sequence=int(sequence),
        value=real_out(value, present=True),  # type: ignore[arg-type]  # present=True never gives None
        data=load_json(data),
        timestamp=float(timestamp),
    )


def metric_to_row(experiment_id: str, metric: Metric) -> tuple[Any, ...]:
    kind = metric.kind if isinstance(metric.kind, MetricKind) else MetricKind(metric.kind)
    return (
        experiment_id,
        metric.trial_id,
        kind.value,
        metric.sequence,
        real_in(metric.value),
        dump_json(metric.data),
        metric.timestamp,
    )
