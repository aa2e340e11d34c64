"""Logging an experiment to MLflow, fed by the manager's change feed (config key ``mlflow``).

One parent run per tunelab experiment (tagged ``tunelab.role=experiment``), one nested run per trial
attempt: parameters, intermediate results as metric steps, the final result, the end status and tunelab's
ids as tags. The trial script does not change.

MLflow is slow to import and may talk to a remote server, so the work happens on one worker thread that
reads the feed's changes from a queue: the experiment loop never waits for MLflow. Any MLflow error is a
warning in the manager log, never an experiment failure. ``resume`` finds the parent run again by its tags.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab.config import DEFAULT_MLFLOW_EXPERIMENT, ExperimentConfig
from tunelab.manager import _mlflow_map as m
from tunelab.manager._feed import Change

#: How long closing waits for the queue to drain before giving up on what is left (a dead server).
CLOSE_TIMEOUT_S = 60.0
#: Warnings after this many are counted, not logged one by one (a server that is down fails every call).
MAX_WARNINGS = 5
_STOP = object()


def default_tracking_uri(experiment_dir: Path) -> str:
    """A SQLite store inside the experiment folder (MLflow 3 refuses plain ``./mlruns`` file stores
    unless ``MLFLOW_ALLOW_FILE_STORE`` is set; SQLite works with MLflow 2 and 3 alike)."""
    return f"sqlite:///{(experiment_dir / 'mlflow' / 'mlflow.db').absolute()}"


def default_artifact_location(experiment_dir: Path) -> str:
    return (experiment_dir / "mlflow" / "artifacts").absolute().as_uri()


class MlflowObserver:
    """Receives the manager's changes (:meth:`on_change`, never blocks) and logs them on its own thread."""

    def __init__(self, *, experiment_id: str, experiment_dir: Path, config: ExperimentConfig,
                 logger: logging.Logger) -> None:
        settings = config.mlflow
        if settings is None:
            raise ValueError("MlflowObserver needs config.mlflow")
        self.experiment_id = experiment_id
        self.experiment_dir = experiment_dir
        self._default_store = settings.tracking_uri is None
        self.tracking_uri = settings.tracking_uri or default_tracking_uri(experiment_dir)
        self.mlflow_experiment = settings.experiment_name or config.experiment_name or DEFAULT_MLFLOW_EXPERIMENT
        self._config = config.to_dict()
        self._log = logger
        self._queue: queue.Queue[Any] = queue.Queue()
        self._warnings = 0
        self._client: Any = None
        self._parent: str | None = None
        self._experiment = ""  # the MLflow experiment's id
        self._runs: dict[str, str] = {}  # trial id -> its open MLflow run (the current attempt)
        self._steps: dict[str, set[int]] = {}  # run id -> intermediate steps logged (the feed may repeat)
        self._parent_ended = False
        self._status = "RUNNING"
        # Started by the first change (the experiment entering RUNNING), once the manager log is attached.
        self._thread = threading.Thread(target=self._work, name=f"tunelab-mlflow-{experiment_id}", daemon=True)

    # -- called on the experiment loop ------------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        self._queue.put_nowait(change)
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Log what is queued, end the runs still open, and stop the thread (blocking: run it off the loop)."""
        if self._thread.ident is None:
            return  # never started: the manager published nothing
        self._queue.put_nowait(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._log.warning("mlflow: gave up after %.0f s with %d changes not logged to %s", timeout,
                              self._queue.qsize(), self.tracking_uri)
        elif self._warnings > MAX_WARNINGS:
            self._log.warning("mlflow: %d MLflow calls failed in all (the first %d are logged above)",
                              self._warnings, MAX_WARNINGS)

    # -- the worker thread ------------------------------------------------------------------------------
    def _work(self) -> None:
        connected = self._guard("could not connect", self._connect)
        while True:
            change = self._queue.get()
            if change is _STOP:
                break
            if connected:
                self._guard(f"could not log a {change.get('type')} change", self._handle, change)
        if connected:
            self._guard("could not end the runs", self._finish)

    def _guard(self, what: str, func: Any, *args: Any) -> bool:
        try:
            func(*args)
        except Exception as exc:  # MLflow must never fail the experiment: say so and go on
            self._warnings += 1
            if self._warnings <= MAX_WARNINGS:
                self._log.warning("mlflow: %s (%s): %s: %s", what, self.tracking_uri, type(exc).__name__, exc)
            return False
        return True

    def _connect(self) -> None:
        from mlflow.tracking import MlflowClient

        _quiet_mlflow_logs()
        self._client = MlflowClient(tracking_uri=self.tracking_uri)
        experiment_id = self._experiment = self._mlflow_experiment_id()
        found = self._client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{m.TAG_EXPERIMENT}` = '{self.experiment_id}'",
            max_results=50_000,
        )
        parents = [run for run in found if run.data.tags.get(m.TAG_ROLE) == "experiment"]
        if parents:  # a resume: continue the experiment's run and its trials' open runs
            self._parent = parents[0].info.run_id
            self._client.update_run(self._parent, status="RUNNING")
            for run in found:
                trial_id = run.data.tags.get(m.TAG_TRIAL)
                if trial_id and run.info.status == "RUNNING":
                    self._runs[trial_id] = run.info.run_id
                    history = self._client.get_metric_history(run.info.run_id, m.INTERMEDIATE)
                    self._steps[run.info.run_id] = {point.step for point in history}
        else:
            self._parent = self._new_parent(experiment_id)
        self._log.info("mlflow: logging to %s, experiment %r, parent run %s", self.tracking_uri,
                       self.mlflow_experiment, self._parent)
        self._log_config()

    def _mlflow_experiment_id(self) -> str:
        existing = self._client.get_experiment_by_name(self.mlflow_experiment)
        if existing is not None:
            return str(existing.experiment_id)
        location = default_artifact_location(self.experiment_dir) if self._default_store else None
        try:
            return str(self._client.create_experiment(self.mlflow_experiment, artifact_location=location))
        except Exception:  # another tunelab experiment created it just now
            existing = self._client.get_experiment_by_name(self.mlflow_experiment)
            if existing is None:
                raise
            return str(existing.experiment_id)

    def _new_parent(self, experiment_id: str) -> str:
        from mlflow.entities import Param

        name = self._config.get("experimentName") or f"tunelab-{self.experiment_id}"
        run = self._client.create_run(experiment_id, run_name=str(name), tags={
            m.TAG_EXPERIMENT: self.experiment_id, m.TAG_ROLE: "experiment",
            "tunelab.experiment_dir": str(self.experiment_dir)})
        params = [Param(k, v) for k, v in m.experiment_params(self._config).items()]
        for batch in m.chunks(params, m.BATCH_PARAMS_MAX):
            self._client.log_batch(run.info.run_id, params=batch)
        return str(run.info.run_id)

    def _log_config(self) -> None:
        """The config and search space as artifacts (rewritten on resume and on every update)."""
        assert self._parent is not None
        self._client.log_text(self._parent, json.dumps(self._config, indent=2, default=str), "tunelab/config.json")
        self._client.log_text(self._parent, json.dumps(self._config.get("searchSpace"), indent=2, default=str),
                              "tunelab/search_space.json")

    def _handle(self, change: Mapping[str, Any]) -> None:
        kind = change.get("type")
        if kind == "trial":
            self._on_trial(change["trial"])
        elif kind == "metrics":
            self._on_metrics(change["metrics"])
        elif kind == "experiment":
            self._on_experiment(str(change.get("status")))
        elif kind == "config":
            self._config.update(change.get("changes") or {})
            self._log_config()

    def _on_trial(self, trial: Mapping[str, Any]) -> None:
        status = str(trial.get("status"))
        trial_id = str(trial["id"])
        if status == "WAITING":
            run_id = self._runs.pop(trial_id, None)
            if run_id is not None:  # requeued (a retry, or a re-run after a crash): that attempt is over
                self._client.set_tag(run_id, m.TAG_STATUS, "REQUEUED")
                self._client.set_tag(run_id, m.TAG_MESSAGE, str(trial.get("message") or "")[:m.TAG_VALUE_MAX])
                self._client.set_terminated(run_id, "FAILED")
            return
        run_id = self._run_of(trial)
        self._client.set_tag(run_id, m.TAG_STATUS, status)
        end = m.TRIAL_STATUS.get(status)
        if end is None:
            return
        self._log_final(run_id, trial)
        if trial.get("message"):
            self._client.set_tag(run_id, m.TAG_MESSAGE, str(trial["message"])[:m.TAG_VALUE_MAX])
        self._client.set_terminated(run_id, end, end_time=m.millis(trial.get("ended_at")))
        self._runs.pop(trial_id, None)
        self._steps.pop(run_id, None)

    def _run_of(self, trial: Mapping[str, Any]) -> str:
        """The trial's open run, made (with its params and tags) the first time the trial is seen."""
        trial_id = str(trial["id"])
        run_id = self._runs.get(trial_id)
        if run_id is not None:
            return run_id
        from mlflow.entities import Param

        assert self._parent is not None
        run = self._client.create_run(
            self._experiment,
            start_time=m.millis(trial.get("started_at") or trial.get("created_at")),
            tags={**m.trial_tags(self.experiment_id, trial), m.TAG_PARENT: self._parent},
            run_name=m.trial_run_name(trial),
        )
        run_id = str(run.info.run_id)
        params = [Param(k, v) for k, v in m.flat_params(trial.get("parameters") or {}).items()]
        for batch in m.chunks(params, m.BATCH_PARAMS_MAX):
            self._client.log_batch(run_id, params=batch)
        self._runs[trial_id] = run_id
        self._steps[run_id] = set()
        return run_id

    def _log_final(self, run_id: str, trial: Mapping[str, Any]) -> None:
        from mlflow.entities import Metric

        stamp = m.millis(trial.get("ended_at")) or int(time.time() * 1000)
        metrics = [Metric(name, value, stamp, 0)
                   for name, value in m.numeric_items(m.FINAL, trial.get("final"), trial.get("final_data"))]
        if metrics:
            self._client.log_batch(run_id, metrics=metrics)

    def _on_metrics(self, metrics: list[Mapping[str, Any]]) -> None:
        from mlflow.entities import Metric

        by_run: dict[str, list[Any]] = {}
        for metric in metrics:
            if metric.get("kind") != "PERIODICAL":
                continue  # the final result is logged with the trial's end, where its status is known
            run_id = self._runs.get(str(metric.get("trial_id")))
            if run_id is None:
                continue  # a late value of an ended trial: its run is closed
            step = int(metric.get("sequence", 0))
            steps = self._steps.setdefault(run_id, set())
            if step in steps:
                continue
            steps.add(step)
            stamp = m.millis(metric.get("timestamp")) or int(time.time() * 1000)
            by_run.setdefault(run_id, []).extend(
                Metric(name, value, stamp, step)
                for name, value in m.numeric_items(m.INTERMEDIATE, metric.get("value"), metric.get("data")))
        for run_id, batch in by_run.items():
            for part in m.chunks(batch, m.BATCH_METRICS_MAX):
                self._client.log_batch(run_id, metrics=part)

    def _on_experiment(self, status: str) -> None:
        assert self._parent is not None
        self._status = status
        self._client.set_tag(self._parent, m.TAG_STATUS, status)
        end = m.EXPERIMENT_STATUS.get(status)
        if end is not None:
            self._client.set_terminated(self._parent, end)
            self._parent_ended = True
        elif status == "RUNNING" and self._parent_ended:  # a finished experiment given more budget
            self._client.update_run(self._parent, status="RUNNING")
            self._parent_ended = False

    def _finish(self) -> None:
        """The manager stopped: runs still open (trials left RUNNING by a storage failure) end KILLED."""
        for run_id in list(self._runs.values()):
            with contextlib.suppress(Exception):
                self._client.set_terminated(run_id, "KILLED")
        self._runs.clear()
        if self._parent is not None and not self._parent_ended:
            self._client.set_terminated(self._parent, m.EXPERIMENT_STATUS.get(self._status, "KILLED"))


def _quiet_mlflow_logs() -> None:
    """MLflow's INFO lines (creating tables, migrations) would land in the terminal's progress view;
    its warnings still do. Set after the import: importing mlflow configures its own logger."""
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
