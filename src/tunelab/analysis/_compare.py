"""Side-by-side comparison of selected trials."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.analysis._params import finite, flatten_parameters, label_of
from tunelab.trial import Trial


def compare_trials(trials: Sequence[Trial]) -> dict[str, Any]:
    """Rows of parameter and metric values, one column per trial, flagging rows whose values differ.

    Parameter rows come first (``kind: "parameter"``), then ``final`` and each dict-metric key
    (``kind: "metric"``). Missing values are None.
    """
    flats = [flatten_parameters(t.parameters) for t in trials]
    rows = [_row("parameter", key, [flat.get(key) for flat in flats]) for key in _keys(flats)]
    rows.append(_row("metric", "final", [finite(t.final) for t in trials]))
    dicts = [t.final_data if isinstance(t.final_data, Mapping) else {} for t in trials]
    for key in _keys(dicts):
        rows.append(_row("metric", str(key), [d.get(key) for d in dicts]))
    return {
        "trials": [{"id": t.id, "sequence": t.sequence, "status": t.status.value} for t in trials],
        "rows": rows,
    }


def _keys(mappings: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for mapping in mappings:
        for key in mapping:
            seen.setdefault(key, None)
    return list(seen)


def _row(kind: str, key: str, values: list[Any]) -> dict[str, Any]:
    return {"kind": kind, "key": key, "values": values, "differs": len({label_of(v) for v in values}) > 1}
