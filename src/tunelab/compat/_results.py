"""Results in NNI's import/export shapes, and adding them to an experiment as IMPORTED trials.

Accepted (``nnictl experiment import`` and ``export``, reference §8):

* JSON: ``[{"parameter": {...}, "value": 0.9 | {"default": 0.9, ...} | "<json of either>"}, ...]``
  (``trialJobId`` and ``intermediate`` keys of an export are accepted and ignored);
* CSV as ``nnictl experiment export --type csv`` writes it: parameter columns (a nested choice as the
  dict's Python text; dotted names such as ``opt._name`` are also read), then ``reward`` or one column per metric key, then ``trialJobId`` (and ``intermediate``).
"""

from __future__ import annotations

import ast
import csv
import io
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.base import InvalidInputError, encode_float, json_decode, json_loads, jsonable_metric, scalar_of
from tunelab.storage import ExperimentStore
from tunelab.trial import Metric, MetricKind, Trial, TrialSource, TrialState

_NON_METRIC_COLUMNS = frozenset({"trialJobId", "intermediate"})


@dataclass(frozen=True)
class ResultRecord:
    """One imported evaluation: parameters and the final metric (a number or a dict with 'default')."""

    parameters: dict[str, Any]
    value: Any


def load_results(path: str | Path, parameter_names: Iterable[str] = ()) -> list[ResultRecord]:
    """Read a results file: ``.csv`` as NNI's export CSV, anything else as JSON. ``parameter_names`` are
    the search space's top-level names (they tell parameter columns from metric columns in a CSV)."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"--filename: cannot read {file}: {exc.strerror}") from exc
    if file.suffix.lower() == ".csv":
        return parse_results_csv(text, parameter_names, where=str(file))
    try:
        data = json_loads(text)  # the one codec: "NaN" markers and bare NaN literals both read as floats
    except ValueError as exc:
        raise InvalidInputError(f"{file}: not JSON ({exc}); write a list of "
                                '{"parameter": {...}, "value": number} objects, or give a .csv export') from exc
    return parse_results_json(data, where=str(file))


def parse_results_json(data: Any, *, where: str = "results") -> list[ResultRecord]:
    if not isinstance(data, list):
        raise InvalidInputError(f"{where}: must be a JSON list of {{\"parameter\": ..., \"value\": ...}}, "
                                f"got {type(data).__name__}")
    records = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping) or "parameter" not in item or "value" not in item:
            raise InvalidInputError(f"{where}[{index}]: needs the keys 'parameter' and 'value', got {item!r:.120}")
        if not isinstance(item["parameter"], Mapping):
            raise InvalidInputError(f"{where}[{index}].parameter: must be an object, got {item['parameter']!r:.80}")
        value = item["value"]
        if isinstance(value, str):  # an export's value is the JSON text of the metric
            try:
                value = json_loads(value)
            except ValueError:
                raise InvalidInputError(f"{where}[{index}].value: {value!r:.80} is not a number") from None
        _refuse_non_finite(json_decode(item["parameter"]), f"{where}[{index}].parameter")
        records.append(ResultRecord(dict(item["parameter"]), _checked(value, f"{where}[{index}].value")))
    return records


def parse_results_csv(text: str, parameter_names: Iterable[str], *, where: str = "results.csv") -> list[ResultRecord]:
    names = set(parameter_names)
    reader = csv.DictReader(io.StringIO(text))
    columns = list(reader.fieldnames or [])
    params = [c for c in columns if c.split(".", 1)[0] in names]
    metrics = [c for c in columns if c not in params and c not in _NON_METRIC_COLUMNS]
    if not params or not metrics:
        raise InvalidInputError(
            f"{where}: columns {columns} hold no parameters of the search space ({sorted(names)}) or no metric; "
            "give the CSV that `nnictl experiment export --type csv` (or `tunelab export --type csv`) writes"
        )
    records = []
    for line, row in enumerate(reader, start=2):
        parameters = _unflatten({c: _cell(row[c]) for c in params if row.get(c) not in (None, "")})
        _refuse_non_finite(parameters, f"{where}:{line}")
        if row.get("reward") not in (None, ""):  # a scalar metric (NNI mixes both kinds in one file)
            value: Any = _cell(row["reward"])
        else:
            value = {c: _cell(row[c]) for c in metrics if c != "reward" and row.get(c) not in (None, "")}
        records.append(ResultRecord(parameters, _checked(value, f"{where}:{line}")))
    return records


def add_imported_results(store: ExperimentStore, records: Sequence[ResultRecord], *,
                         taken_ids: set[str] | None = None) -> list[Trial]:
    """Store each record as a SUCCEEDED trial with source IMPORTED and its final metric, in one
    transaction. The caller must be the store's only writer (hold the experiment's manager lock)."""
    from tunelab.manager import new_trial_id

    taken = set(taken_ids) if taken_ids is not None else {t.id for t in store.list_trials()}
    now = time.time()
    trials: list[Trial] = []
    with store.transaction():
        sequence = store.next_sequence()
        for record in records:
            trial_id = new_trial_id(taken)
            taken.add(trial_id)
            trial = Trial(id=trial_id, sequence=sequence, parameters=record.parameters,
                          status=TrialState.SUCCEEDED, source=TrialSource.IMPORTED, created_at=now,
                          started_at=now, ended_at=now, message="imported result")
            store.insert_trial(trial)
            store.set_final(Metric(trial_id, MetricKind.FINAL, 0, scalar_of(record.value),
                                   jsonable_metric(record.value), now))
            trials.append(trial)
            sequence += 1
        store.add_event("results_imported", data={"count": len(trials)})
    return trials


def _checked(value: Any, where: str) -> Any:
    value = json_decode(value)
    _refuse_non_finite(value, where)
    try:
        scalar_of(value)
    except TypeError as exc:
        raise InvalidInputError(f"{where}: {exc}") from None
    return value


def _refuse_non_finite(value: Any, where: str) -> None:
    """NaN and infinities cannot be ranked or compared, so they are not imported (docs/json.md)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"{where}: {encode_float(value)} is not a finite number; only finite numbers "
                                "can be imported: remove the record or give a finite value")
    if isinstance(value, Mapping):
        for item in value.values():
            _refuse_non_finite(item, where)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_non_finite(item, where)


def _cell(text: str) -> Any:
    try:
        return json_loads(text)
    except ValueError:
        pass
    if text.startswith(("{", "[")):
        # NNI's CSV writes a nested choice as the dict's Python text: {'_name': 'Max', 'size': 2}
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            pass
    return text


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested
