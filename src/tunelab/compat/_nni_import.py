"""Turning an NNI experiment directory into a tunelab experiment (``tunelab import-nni``).

The result is an ordinary tunelab experiment: ``view``, ``best``, ``export`` and the UI read it, and
``resume`` warm-starts the tuner from its finished trials (they enter the tuner's history like any
resumed trial). Trials NNI left WAITING or RUNNING are stored WAITING, so ``resume`` runs them again with
the same ids and parameters, as ``nnictl resume`` does.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.base import (
    ConfigError,
    ConflictError,
    InvalidInputError,
    final_problem,
    json_decode,
    jsonable_metric,
    scalar_of,
)
from tunelab.compat._nni_dir import LOG_FILES, NniExperiment, NniTrial, read_nni_experiment
from tunelab.compat._results import ResultRecord, add_imported_results, parse_results_json
from tunelab.config import ExperimentConfig, parse_config, platform_names
from tunelab.storage import ExperimentRecord, ExperimentStore, open_store
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialSource, TrialState

_STATES = {
    "SUCCEEDED": TrialState.SUCCEEDED,
    "FAILED": TrialState.FAILED,
    "USER_CANCELED": TrialState.USER_CANCELED,
    "SYS_CANCELED": TrialState.USER_CANCELED,
    "EARLY_STOPPED": TrialState.EARLY_STOPPED,
}
_SOURCES = {"algorithm": TrialSource.ALGORITHM, "customized": TrialSource.CUSTOMIZED,
            "resumed": TrialSource.RESUMED}


@dataclass
class ImportSummary:
    experiment_id: str
    experiment_dir: Path
    trials: int
    metrics: int
    warnings: list[str] = field(default_factory=list)


def import_nni_experiment(path: str | Path, *, experiment_id: str | None = None, root: Path | None = None,
                          code_dir: str | Path | None = None, copy_logs: bool = True) -> ImportSummary:
    """Create a tunelab experiment from the NNI experiment directory ``path``.

    The id is NNI's unless ``experiment_id`` is given; ``code_dir`` replaces ``trialCodeDirectory`` (when
    the code moved). Raises ``ConflictError`` if the id exists under ``root``, ``ConfigError`` if NNI's
    config cannot be used, ``NotFoundError``/``InvalidInputError`` for a directory that is not NNI's.
    """
    from tunelab.manager import ManagerLock, experiments_root, validate_experiment_id

    nni = read_nni_experiment(path)
    warnings: list[str] = []
    config = _config(nni, code_dir, warnings)
    exp_id = validate_experiment_id(experiment_id or nni.id)
    exp_dir = (root or experiments_root()) / exp_id
    if exp_dir.exists():
        raise ConflictError(f"experiment {exp_id!r} already exists at {exp_dir}; pick another id with --id")
    lock = ManagerLock(exp_dir)
    lock.acquire(exp_id)
    try:
        store = open_store(exp_dir, exp_id)
        try:
            store.create_experiment(_record(nni, exp_id, exp_dir, config))
            trials, metrics = _write_trials(store, nni, exp_dir, copy_logs=copy_logs, warnings=warnings)
            trials += _write_imported_data(store, nni, warnings)
            store.add_event("imported_from_nni", data={"path": str(nni.directory), "nni_id": nni.id,
                                                       "warnings": warnings})
        finally:
            store.close()
    except BaseException:
        lock.release()
        shutil.rmtree(exp_dir, ignore_errors=True)  # nothing half-imported stays behind
        raise
    lock.release()
    if nni.skipped_metrics:
        warnings.append(f"{nni.skipped_metrics} metric rows of unknown trials or types were skipped")
    return ImportSummary(exp_id, exp_dir, trials, metrics, warnings)


def _config(nni: NniExperiment, code_dir: str | Path | None, warnings: list[str]) -> ExperimentConfig:
    raw: dict[str, Any] = dict(nni.config)
    raw.pop("experimentWorkingDirectory", None)  # NNI's ~/nni-experiments, not tunelab's home
    if raw.get("searchSpace") is not None:
        # nnictl create --config stores the file's path and the space loaded from it: the stored copy is
        # what ran (the file may have moved or changed since).
        raw.pop("searchSpaceFile", None)
    service = raw.get("trainingService")
    platform = service.get("platform") if isinstance(service, dict) else None
    if isinstance(service, list) or (platform is not None and platform not in platform_names()):
        warnings.append(f"trainingService {platform or 'hybrid'!r} is not supported by tunelab; the imported "
                        "experiment uses platform: local")
        raw["trainingService"] = {"platform": "local"}
    elif isinstance(service, dict):
        raw["trainingService"] = {k: v for k, v in service.items()
                                  if k not in ("trialCommand", "trialCodeDirectory", "trialGpuNumber",
                                               "nniManagerIp", "debug")}  # NNI copies these shortcuts down
    if code_dir is not None:
        raw["trialCodeDirectory"] = str(Path(code_dir).expanduser().resolve())
    raw.setdefault("tuner", {"name": "TPE"})
    try:
        return parse_config(raw)
    except ConfigError as exc:
        hint = " (pass --code-dir DIR if the trial code moved)" if "trialCodeDirectory" in exc.message else ""
        raise ConfigError(f"NNI experiment {nni.id}: its config cannot be used by tunelab{hint}: {exc.message}") from exc


def _record(nni: NniExperiment, exp_id: str, exp_dir: Path, config: ExperimentConfig) -> ExperimentRecord:
    return ExperimentRecord(
        id=exp_id,
        name=config.experiment_name,
        config=config.to_dict(),
        status=ExperimentStatus.DONE if nni.end_time else ExperimentStatus.STOPPED,
        created_at=nni.start_time or 0.0,
        run_started_at=nni.start_time,
        ended_at=nni.end_time,
        elapsed=nni.exec_duration,
        extra={"tuner_seed": random.SystemRandom().randrange(2**31), "experiment_dir": str(exp_dir),
               "imported_from": {"tool": "nni", "id": nni.id, "path": str(nni.directory)}},
    )


def _write_trials(store: ExperimentStore, nni: NniExperiment, exp_dir: Path, *, copy_logs: bool,
                  warnings: list[str]) -> tuple[int, int]:
    used = {t.sequence for t in nni.trials if t.sequence is not None}
    next_free = max(used, default=-1) + 1
    count = metrics = 0
    with store.transaction():
        for nni_trial in nni.trials:
            if nni_trial.sequence is None:
                nni_trial.sequence, next_free = next_free, next_free + 1
            store.insert_trial(_trial(nni_trial))
            metrics += _write_metrics(store, nni_trial, warnings)
            count += 1
    if copy_logs:
        for nni_trial in nni.trials:
            _copy_logs(nni_trial, exp_dir / "trials" / nni_trial.id)
    return count, metrics


def _trial(nni_trial: NniTrial) -> Trial:
    state = _STATES.get(nni_trial.status)
    message = nni_trial.message
    if state is None:  # WAITING / RUNNING / UNKNOWN when NNI stopped: resume runs it again
        state = TrialState.WAITING
        message = f"was {nni_trial.status} when the NNI experiment stopped; resume runs it again"
    elif nni_trial.status == "SYS_CANCELED":
        message = message or "SYS_CANCELED in NNI"
    elif state is TrialState.SUCCEEDED and (problem := _final_problem(nni_trial)) is not None:
        state, message = TrialState.FAILED, problem  # as tunelab ends such a trial (docs/json.md)
    finished = state.is_finished
    return Trial(
        id=nni_trial.id, sequence=int(nni_trial.sequence or 0), parameters=nni_trial.parameters,
        status=state, source=_SOURCES.get(nni_trial.source, TrialSource.ALGORITHM),
        created_at=nni_trial.created_at,
        started_at=nni_trial.started_at if finished else None,
        ended_at=nni_trial.ended_at if finished else None,
        message=message, extra={"nni_status": nni_trial.status},
    )


def _final_problem(nni_trial: NniTrial) -> str | None:
    finals = [m for m in nni_trial.metrics if m.kind == "FINAL"]
    if not finals:
        return None
    try:
        return final_problem(scalar_of(json_decode(finals[0].data)))
    except TypeError:
        return None  # not a number: _write_metrics skips it with a warning


def _write_metrics(store: ExperimentStore, nni_trial: NniTrial, warnings: list[str]) -> int:
    intermediates: list[Metric] = []
    stored = 0
    for metric in nni_trial.metrics:
        try:
            value = scalar_of(metric.data)
        except TypeError:
            warnings.append(f"trial {nni_trial.id}: {metric.kind} metric {metric.data!r:.60} is not a number "
                            "or a dict with 'default'; skipped")
            continue
        record = Metric(nni_trial.id, MetricKind(metric.kind), metric.sequence, value,
                        jsonable_metric(metric.data), metric.timestamp)
        if metric.kind == "FINAL":
            stored += int(store.set_final(record))
        else:
            intermediates.append(record)
    if intermediates:
        stored += store.add_intermediates(intermediates)
    return stored


def _write_imported_data(store: ExperimentStore, nni: NniExperiment, warnings: list[str]) -> int:
    if not nni.imported:
        return 0
    try:
        records: list[ResultRecord] = parse_results_json(nni.imported, where="IMPORT_DATA")
    except InvalidInputError as exc:
        warnings.append(f"data imported into the NNI experiment was skipped: {exc.message}")
        return 0
    return len(add_imported_results(store, records))


def _copy_logs(nni_trial: NniTrial, target: Path) -> None:
    if nni_trial.log_dir is None:
        return
    target.mkdir(parents=True, exist_ok=True)
    for source_name, name in LOG_FILES.items():
        source = nni_trial.log_dir / source_name
        if source.is_file() and not (target / name).exists():
            shutil.copyfile(source, target / name)
