"""Read-side questions about an experiment, answered from a store: the same functions serve the REST API,
the CLI (when no manager runs) and the Python API."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tunelab.base import json_encode
from tunelab.manager._failures import summarize_failures
from tunelab.objectives import (
    ObjectiveSpec,
    ParetoPoint,
    pareto_front_of,
    pareto_points,
)
from tunelab.storage import ExperimentStore, best_of, optimize_mode
from tunelab.trial import MetricKind, Trial, TrialState


def optimize_mode_of(config: Mapping[str, Any]) -> str:
    """The tuner's optimize mode with NNI's defaults (TPE and Anneal minimize, the others maximize)."""
    return optimize_mode(config)


def pareto_json(trials: Iterable[Trial], spec: ObjectiveSpec, *, every_point: bool = False) -> dict[str, Any]:
    """The Pareto set as the REST API, ``tunelab best`` and the UI show it: the objectives, the front
    (best primary objective first, with parameters) and counts; ``every_point`` adds each eligible trial's
    values and flags (no parameters: the chart needs only the values)."""
    points = pareto_points(trials, spec)
    front = pareto_front_of(points, spec)
    out: dict[str, Any] = {
        "objectives": spec.to_list(),
        "front": [_front_json(p) for p in front],
        "eligible": len(points),
        "infeasible": sum(not p.feasible for p in points),
    }
    if every_point:
        out["points"] = [
            {"trial_id": p.trial.id, "sequence_id": p.trial.sequence, "status": p.trial.status.value,
             "values": p.values, "feasible": p.feasible, "on_front": p.on_front}
            for p in points
        ]
    return out


def _front_json(point: ParetoPoint) -> dict[str, Any]:
    trial = point.trial
    return {"parameters": dict(trial.parameters), "values": point.values, "value": trial.final_data,
            "feasible": point.feasible, "trial_id": trial.id, "sequence_id": trial.sequence}


def best_trial(store: ExperimentStore, mode: str | None = None, *,
               config: Mapping[str, Any] | None = None) -> Trial | None:
    """The best trial shown to users (:func:`tunelab.storage.best_of`: feasible first under constraints);
    ``config``: the experiment's, when the caller holds a newer one than the stored."""
    return best_of(store, store.get_experiment().config if config is None else config, mode)


def best_json(trial: Trial | None) -> dict[str, Any] | None:
    if trial is None:
        return None
    return {"parameters": dict(trial.parameters), "value": trial.final, "trial_id": trial.id,
            "sequence_id": trial.sequence}


def ranked_trials(store: ExperimentStore, mode: str, *, head: int | None = None,
                  tail: int | None = None) -> list[Trial]:
    """Completed trials with a final value, best first (``nnictl trial ls --head/--tail``)."""
    done = [t for t in store.list_trials() if t.has_usable_final]
    sign = 1.0 if mode == "minimize" else -1.0
    done.sort(key=lambda t: sign * (t.final or 0.0))
    if head is not None:
        return done[:head]
    if tail is not None:
        return done[-tail:] if tail else []
    return done


def counts(store: ExperimentStore) -> dict[str, int]:
    by_state = store.count_trials()
    return {state.value: by_state.get(state, 0) for state in TrialState}


def failures_json(store: ExperimentStore, experiment_id: str) -> dict[str, Any] | None:
    """The failure summary (count, most common reason, the command to read one trial's stderr), or None
    when no trial failed. Reads only the failed trials."""
    if not store.count_trials().get(TrialState.FAILED):
        return None
    summary = summarize_failures(experiment_id, store.list_trials([TrialState.FAILED]))
    return None if summary is None else summary.to_json()


def nni_json_text(value: Any) -> str:
    """JSON text spelled as NNI writes it (``json.dumps`` defaults: ``", "``/``": "`` separators, ASCII,
    one line: what nnictl's export and a trial's ``nni.dump`` produce), and strict: non-finite numbers
    become tunelab's string markers (docs/json.md)."""
    return json.dumps(json_encode(value, default=str), allow_nan=False)


def export_records(store: ExperimentStore, *, intermediate: bool = False) -> list[dict[str, Any]]:
    """NNI's export shape: ``{"parameter", "value" (JSON string of the final metric), "trialJobId"}``
    (and ``"intermediate"``: the JSON strings of the intermediate metrics, then the final one's);
    trials without a final result are omitted, as in NNI."""
    records: list[dict[str, Any]] = []
    for trial in store.list_trials():
        if trial.final_data is None and trial.final is None:
            continue
        record: dict[str, Any] = {
            "parameter": dict(trial.parameters),
            "value": nni_json_text(trial.final_data if trial.final_data is not None else trial.final),
            "trialJobId": trial.id,
        }
        if intermediate:
            # As nnictl: each metric's JSON text (what the trial's nni.dump sent), the final one last.
            record["intermediate"] = [nni_json_text(m.data)
                                      for m in store.get_metrics(trial.id, MetricKind.PERIODICAL)]
            record["intermediate"].append(record["value"])
        records.append(record)
    return records


def export_csv(store: ExperimentStore, *, intermediate: bool = False) -> str:
    """NNI's CSV: parameter columns (a nested choice's dict as its Python text, ``{'_name': 'x'}``), then
    ``reward`` (scalar metric) or one column per dict-metric key, then ``trialJobId`` (and
    ``intermediate``: ``[<json>,<json>,...]``). NNI orders its columns by a set (arbitrary); ours are fixed."""
    records = export_records(store, intermediate=intermediate)
    param_keys: list[str] = []
    metric_keys: list[str] = []
    rows: list[dict[str, Any]] = []
    for record in records:
        row: dict[str, Any] = {}
        # One column per top-level parameter; a nested choice is written as the dict's text, as NNI does.
        for key, value in record["parameter"].items():
            if key not in param_keys:
                param_keys.append(key)
            row[key] = value
        value = json.loads(record["value"])
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in metric_keys:
                    metric_keys.append(key)
                row[key] = item
        else:
            if "reward" not in metric_keys:
                metric_keys.append("reward")
            row["reward"] = value
        row["trialJobId"] = record["trialJobId"]
        if intermediate:
            row["intermediate"] = "[" + ",".join(record["intermediate"]) + "]"
        rows.append(row)
    columns = param_keys + metric_keys + ["trialJobId"] + (["intermediate"] if intermediate else [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
