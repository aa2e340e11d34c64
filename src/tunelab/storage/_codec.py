"""Conversions between records and database values, shared by every backend.

JSON columns hold strict JSON (SQLite's JSON functions and PostgreSQL's ``jsonb`` both reject ``NaN``),
written by the one codec of ``tunelab.base``: non-finite floats inside JSON are the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"`` and read back as floats. REAL columns store NaN as SQL ``NULL``
(SQLite cannot store NaN at all); where a NULL is ambiguous the decoders below use a companion column to
tell "absent" from "NaN".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tunelab.base import encode_float, json_dumps, json_loads
from tunelab.trial import Metric, MetricKind, Trial, TrialSource, TrialState


def dump_json(value: Any) -> str:
    """``value`` as compact strict JSON in the one encoding of ``tunelab.base`` (non-finite floats as the
    marker strings); raises ``TypeError`` for values that are not plain data."""
    return json_dumps(value)


def load_json(text: str | None) -> Any:
    """Inverse of :func:`dump_json`. ``None`` (SQL NULL) loads as ``None``."""
    return None if text is None else json_loads(text)


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
            leaves.append(str(encode_float(value)))

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
