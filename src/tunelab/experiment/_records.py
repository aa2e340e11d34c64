"""The records NNI's ``Experiment`` methods return, with NNI's attribute names, built from tunelab's JSON.

Field names are camelCase on purpose: code written against ``nni.experiment`` reads ``job.trialJobId``,
``metric.data`` and ``result.value``. Times are milliseconds since the epoch, as in NNI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tunelab.base import json_decode, json_loads


@dataclass
class TrialResult:
    """One exported result: parameters, the decoded final metric and the trial id (``export_data()``)."""

    parameter: dict[str, Any]
    value: Any
    trialJobId: str


@dataclass
class TrialMetricData:
    """One reported metric; ``data`` is the decoded value (a number or a dict with ``'default'``).

    ``parameterId`` is a string, as NNI 3.0's live API returns it (its dataclass says int; its REST data,
    and so the records its users see, carry the text), pinned by ``tests/nni_parity``."""

    timestamp: int
    trialJobId: str
    parameterId: str
    type: str
    sequence: int
    data: Any


@dataclass
class TrialHyperParameters:
    parameter_id: int
    parameter_source: str
    parameters: dict[str, Any]
    parameter_index: int = 0
    #: NNI's placement constraint and version info of the parameters; tunelab has neither (always None).
    placement_constraint: Any = None
    version_info: Any = None


@dataclass
class TrialJob:
    """A trial as ``get_trial_job`` / ``list_trial_jobs`` return it."""

    trialJobId: str
    status: str
    hyperParameters: list[TrialHyperParameters] = field(default_factory=list)
    logPath: str = ""
    startTime: int | None = None
    endTime: int | None = None
    finalMetricData: list[TrialMetricData] = field(default_factory=list)
    stderrPath: str = ""
    sequenceId: int = 0
    message: str = ""


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def experiment_profile(overview: Mapping[str, Any]) -> dict[str, Any]:
    """NNI's ``get_experiment_profile()`` shape (its ExperimentProfile: ``id``, ``params`` = the config in
    camelCase, ``execDuration`` in whole seconds, ``logDir``, ``startTime``/``endTime`` in ms,
    ``nextSequenceId``), built from ``GET /experiment``; tunelab's own overview keys follow, so code
    written for either reads what it expects. NNI's ``revision`` (a database row counter) has no
    counterpart and is left out."""
    started = overview.get("run_started_at") or overview.get("created_at")
    profile: dict[str, Any] = {
        "id": overview.get("id"),
        "params": dict(overview.get("config") or {}),
        "execDuration": int(overview.get("elapsed") or 0),
        "logDir": str(overview.get("experiment_dir") or ""),
        "startTime": _ms(started),
        "nextSequenceId": sum((overview.get("counts") or {}).values()),
    }
    if overview.get("ended_at") is not None:
        profile["endTime"] = _ms(overview["ended_at"])
    return {**profile, **{k: v for k, v in overview.items() if k not in profile}}


def trial_job(trial: Mapping[str, Any], trial_dir: str = "") -> TrialJob:
    """``TrialJob`` of one trial in the REST shape (``tunelab.manager.trial_json``)."""
    trial = json_decode(dict(trial))  # NaN and infinities come back as floats, as in NNI's API
    trial_id = str(trial["id"])
    finals = []
    if trial.get("final_data") is not None or trial.get("final") is not None:
        data = trial["final_data"] if trial.get("final_data") is not None else trial["final"]
        finals.append(TrialMetricData(_ms(trial.get("ended_at")) or 0, trial_id, str(trial["sequence"]),
                                      "FINAL", 0, data))
    return TrialJob(
        trialJobId=trial_id,
        status=str(trial["status"]),
        hyperParameters=[TrialHyperParameters(int(trial["sequence"]), str(trial.get("source", "algorithm")),
                                              dict(trial.get("parameters") or {}))],
        logPath=trial_dir,
        startTime=_ms(trial.get("started_at")),
        endTime=_ms(trial.get("ended_at")),
        finalMetricData=finals,
        stderrPath=f"{trial_dir}/stderr" if trial_dir else "",
        sequenceId=int(trial["sequence"]),
        message=str(trial.get("message") or ""),
    )


def metric_data(trial: Mapping[str, Any]) -> list[TrialMetricData]:
    """Intermediate then final metrics of one trial in the REST detail shape (``GET /trials/{id}``)."""
    trial = json_decode(dict(trial))
    trial_id, sequence = str(trial["id"]), str(trial["sequence"])
    out = [
        TrialMetricData(_ms(m.get("timestamp")) or 0, trial_id, sequence, "PERIODICAL", int(m["sequence"]),
                        m["data"] if m.get("data") is not None else m.get("value"))
        for m in trial.get("intermediate", [])
    ]
    out.extend(trial_job(trial).finalMetricData)
    return out


def trial_result(record: Mapping[str, Any]) -> TrialResult:
    """``TrialResult`` of one record of NNI's export JSON (its ``value`` is a JSON string)."""
    value = record["value"]
    return TrialResult(json_decode(dict(record["parameter"])),
                       json_loads(value) if isinstance(value, str) else json_decode(value), str(record["trialJobId"]))
