"""The experiment loop: ask the tuner, start trials, ingest metrics, consult the assessor, enforce budgets.

Everything runs on one asyncio loop, so the loop's state needs no locks. It never polls: the scheduler
wakes on an event set by trial exits, user actions and the duration timer; metrics arrive through the
runner's sink and are written in one transaction per loop tick. Every state change is committed to the
store before it is acted on (a trial is RUNNING in the database before its process starts), which is what
lets ``resume`` pick up after a ``kill -9``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from array import array
from collections import deque
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.assessors import Assessor
from tunelab.base import DEFAULT_METRIC_KEY as DEFAULT_KEY
from tunelab.base import (
    ConflictError,
    InvalidInputError,
    NoMoreTrialsError,
    NotFoundError,
    StorageError,
    StorageFullError,
    TunelabError,
    encode_float,
    final_problem,
    find_non_finite,
)
from tunelab.base import encode_optional as _json_float
from tunelab.base import env as _env
from tunelab.config import ExperimentConfig
from tunelab.manager import _paths
from tunelab.manager._failures import WORKED_STATES, fail_fast_message, summarize_failures
from tunelab.manager._faults import fault_point
from tunelab.manager._feed import ChangeFeed, Observer
from tunelab.manager._ingest import MetricsFileTail, read_metrics_file, to_metric
from tunelab.manager._log_file import manager_logger
from tunelab.manager._wire import jsonable as _jsonable
from tunelab.manager._wire import trial_json
from tunelab.runners import Runner, RunningHandle, TrialExit, TrialLaunch, describe_exit
from tunelab.space import SearchSpace, parse_search_space
from tunelab.storage import ExperimentStore
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialSource, TrialState
from tunelab.tuners import History, Observation, Tuner

MAX_NOTE_CHARS = 10_000  # a note is a remark, not a document


def _check_note(note: object) -> None:
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise InvalidInputError(f"note: must be text of at most {MAX_NOTE_CHARS} characters, "
                                f"got {len(note) if isinstance(note, str) else type(note).__name__}")


@dataclass
class _Live:
    """What the loop keeps in memory for a trial between start and end."""

    trial: Trial
    tail: MetricsFileTail
    handle: RunningHandle | None = None
    curve: array[float] = field(default_factory=lambda: array("d"))
    final: float | None = None
    final_data: Any = None
    kill_reason: TrialState | None = None
    kill_message: str = ""
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None


class ExperimentManager:
    """Owns one experiment while it runs: the store's only writer, the tuner, the assessor and the runner.

    Build it with :func:`tunelab.manager.open_manager`; ``await run()`` drives it until the experiment ends
    (``keep_serving=False``) or until :meth:`stop` (``keep_serving=True``, like NNI's detached manager, so
    the UI and budget updates keep working after DONE).
    """

    def __init__(
        self,
        *,
        experiment_id: str,
        config: ExperimentConfig,
        store: ExperimentStore,
        experiment_dir: Path,
        runner: Runner,
        tuner: Tuner,
        assessor: Assessor | None = None,
        keep_serving: bool = False,
        extra_trial_env: Mapping[str, str] | None = None,
        observers: Sequence[Observer] = (),
    ) -> None:
        self.experiment_id = experiment_id
        self._log = manager_logger(experiment_id)  # <experiment>/log/manager.log once a ManagerLog is attached
        self._logged_states: dict[str, TrialState] = {}
        self.config = config
        self.store = store
        self.experiment_dir = experiment_dir
        self.runner = runner
        self.tuner = tuner
        self.assessor = assessor
        self.keep_serving = keep_serving
        self.feed = ChangeFeed()
        self._observers = list(observers)
        for observer in self._observers:
            self.feed.listen(observer.on_change)
        self.space: SearchSpace = tuner.space
        self._extra_env = dict(extra_trial_env or {})
        # Several objectives: finals are dicts holding each, and dict values are read by the primary key.
        self.objectives = config.objective_spec
        self._metric_key = self.objectives.primary.name if self.objectives is not None else DEFAULT_KEY
        self._history = History()
        self._live: dict[str, _Live] = {}
        self._queue: deque[str] = deque()  # WAITING trials to start before asking the tuner
        self._trial_ids: set[str] = set()
        self._algorithm_trials = 0
        self._tuner_exhausted = False
        self._tuner_error: str | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._pending_metrics: list[Metric] = []
        self._flush_scheduled = False
        self._elapsed_before = 0.0
        self._run_started = time.monotonic()
        self._deadline_timer: asyncio.TimerHandle | None = None
        self.status = ExperimentStatus.INITIALIZED
        self._done = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()
        self._fatal: str | None = None  # set when the store cannot be written: the experiment stops
        self._reserve: Path | None = None
        # Fail fast: trials that failed in this run while none of the experiment's trials ever worked.
        self._worked = False
        self._failed_this_run: list[str] = []
        self._failed_fast = False

    # == public control API (called by the server, the CLI and the Python API) ===========================
    @property
    def elapsed(self) -> float:
        return self._elapsed_before + (time.monotonic() - self._run_started)

    @property
    def expected_total(self) -> int | None:
        """Trials this run will have when its budget is used: maxTrialNumber plus the user's own trials."""
        limit = self.config.max_trial_number
        return None if limit is None else limit + len(self._trial_ids) - self._algorithm_trials

    @property
    def running_count(self) -> int:
        return sum(1 for live in self._live.values() if live.handle is not None)

    async def run(self) -> ExperimentStatus:
        """Drive the experiment; returns its status when the loop ends. A runner that cannot open (an
        unreachable cluster, no worker with the GPUs asked for) raises its error after recording it."""
        try:
            await self.runner.open()
        except TunelabError as exc:
            self._fail(str(exc))
            self._done.set()
            raise
        self._reserve = _reserve_space(self.experiment_dir)
        try:
            await self._recover()
            self._enter_running()
            await self._loop()
        except StorageError as exc:
            self._storage_failed(exc)
        except TunelabError as exc:
            self._fail(str(exc))
        finally:
            await self._shutdown()
        return self.status

    async def stop(self) -> None:
        """Stop the experiment: running trials are killed (USER_CANCELED), status STOPPED."""
        if self._stopping:
            return
        self._stopping = True
        self._log.info("stop requested")
        # A finished experiment keeps its outcome; stopping only ends the serving manager.
        if self.status not in (ExperimentStatus.ERROR, ExperimentStatus.DONE):
            self._set_status(ExperimentStatus.STOPPED)
        self._wake.set()

    async def wait_closed(self) -> None:
        await self._done.wait()

    def update_concurrency(self, value: int) -> str | None:
        """Change ``trialConcurrency``; returns a warning when local trials would outnumber the machine."""
        from tunelab.config import MAX_TRIAL_CONCURRENCY
        from tunelab.manager._capacity import concurrency_warning

        _require_positive_int(value, "trialConcurrency")
        if value > MAX_TRIAL_CONCURRENCY:
            raise InvalidInputError(
                f"trialConcurrency: at most {MAX_TRIAL_CONCURRENCY} trials may run at once, got {value}"
            )
        self._update_config(trial_concurrency=value)
        warning = concurrency_warning(self.config, value)
        if warning:
            self._log.warning("%s", warning)
            self.store.add_event("warning", data={"message": warning})
        return warning

    def update_max_trial_number(self, value: int) -> None:
        _require_positive_int(value, "maxTrialNumber")
        self._update_config(max_trial_number=value)

    def update_max_duration(self, value: str | int | float) -> None:
        from tunelab.config import parse_duration

        # validates (raises ConfigError); zero would end the experiment at once, as in the config check
        if parse_duration(value, field="maxExperimentDuration") <= 0:
            raise InvalidInputError(
                f"maxExperimentDuration: must be a duration greater than zero, got {value!r}; "
                'write e.g. "30m" or "2h"'
            )
        self._update_config(max_experiment_duration=value)

    def update_search_space(self, space_dict: Mapping[str, Any]) -> None:
        space = parse_search_space(dict(space_dict))
        self.tuner.update_search_space(space)
        self.space = space
        self._update_config(search_space=dict(space_dict), search_space_file=None)

    def add_customized_trial(self, parameters: Mapping[str, Any]) -> tuple[Trial, list[str]]:
        """Queue a trial with user-given parameters; returns it and warnings when it lies outside the space.

        Customized trials run even when the tuner's budget (``maxTrialNumber``) is used up: the user asked
        for them explicitly, and they do not count against it.
        """
        self._require_writable()
        if not isinstance(parameters, Mapping):
            raise InvalidInputError(f"parameters: must be an object of name -> value, got {parameters!r:.80}")
        for name, value in parameters.items():
            bad = find_non_finite(value)
            if bad is not None:  # parameters are always finite (docs/json.md)
                shown = bad if isinstance(bad, str) else encode_float(bad)
                raise InvalidInputError(f"parameters.{name}: {shown} is not a finite number; parameters must be "
                                        "finite numbers")
        warnings = list(self.space.contains(dict(parameters)))
        trial = self._new_trial(dict(parameters), TrialSource.CUSTOMIZED)
        if warnings:
            self.store.add_event("customized_outside_space", trial_id=trial.id, data={"warnings": warnings})
        self._queue.append(trial.id)
        self._revive()
        return trial, warnings

    def set_trial_note(self, trial_id: str, note: str) -> Trial:
        """Store the user's note on a trial (shown in the UI, matched by the filter's free text)."""
        self._require_writable()
        _check_note(note)
        trial = self.store.get_trial(trial_id)
        self.store.update_trial(trial_id, extra={**trial.extra, "note": note})
        trial = self.store.get_trial(trial_id)
        self._publish_trial(trial)
        return trial

    def set_experiment_note(self, note: str) -> None:
        """Store the user's note on the experiment (shown on the overview)."""
        self._require_writable()
        _check_note(note)
        record = self.store.get_experiment()
        self.store.update_experiment(extra={**record.extra, "note": note})
        self.feed.publish({"type": "experiment", "status": self.status.value, "error": None})

    async def kill_trial(self, trial_id: str) -> Trial:
        """Cancel a waiting trial or kill a running one (USER_CANCELED)."""
        self._require_writable()
        trial = self.store.get_trial(trial_id)
        if trial.status.is_finished:
            raise ConflictError(f"trial {trial_id} already ended ({trial.status.value}); nothing to kill")
        if trial.status == TrialState.WAITING and trial_id not in self._live:
            self._finish_waiting(trial, TrialState.USER_CANCELED, "canceled by the user before it started")
            return self.store.get_trial(trial_id)
        await self._kill(trial_id, TrialState.USER_CANCELED, "killed by the user")
        return self.store.get_trial(trial_id)

    # == the loop ========================================================================================
    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            await self._fill_slots()
            if self._finished_all():
                self._complete()
                if not self.keep_serving:
                    return
            else:
                self._update_budget_status()

    async def _fill_slots(self) -> None:
        while not self._stopping and self.running_count < (self.config.trial_concurrency or 1):
            trial = self._next_trial()
            if trial is None:
                return
            if not self.runner.free_slots(self.config.trial_gpu_number):
                self._queue.appendleft(trial.id)
                return  # a GPU frees when a trial ends, which wakes the loop again
            await self._start(trial)

    def _next_trial(self) -> Trial | None:
        if self._duration_exceeded() or self._failed_fast:
            return None
        while self._queue:
            trial_id = self._queue.popleft()
            trial = self.store.get_trial(trial_id)
            if trial.status == TrialState.WAITING:
                return trial
        if self._tuner_exhausted or self._tuner_error or not self._budget_left():
            return None
        try:
            parameters = self.tuner.suggest(self._history)
        except NoMoreTrialsError:
            self._tuner_exhausted = True
            return None
        except Exception as exc:  # a tuner bug (custom tuners included) must not kill running trials
            self._log.exception("tuner failed")
            self._tuner_error = f"tuner {type(self.tuner).__name__} failed: {type(exc).__name__}: {exc}"
            self._fail(self._tuner_error)
            return None
        fault_point("tuner_step")
        self._algorithm_trials += 1
        return self._new_trial(parameters, TrialSource.ALGORITHM)

    def _new_trial(self, parameters: dict[str, Any], source: TrialSource) -> Trial:
        trial_id = _paths.new_trial_id(self._trial_ids)
        trial = Trial(
            id=trial_id,
            sequence=self.store.next_sequence(),
            parameters=parameters,
            status=TrialState.WAITING,
            source=source,
            created_at=time.time(),
        )
        self.store.insert_trial(trial)
        self._trial_ids.add(trial_id)
        self._history.pending.append(_observation(trial))
        self._publish_trial(trial)
        return trial

    async def _start(self, trial: Trial) -> None:
        now = time.time()
        with self.store.transaction():
            self.store.update_trial(trial.id, status=TrialState.RUNNING, started_at=now)
            self.store.add_event("trial_running", trial_id=trial.id)
        fault_point("before_spawn")
        trial = trial.evolve(status=TrialState.RUNNING, started_at=now)
        live = _Live(trial=trial, tail=MetricsFileTail.at_end(self._metrics_path(trial.id), self._metric_key))
        self._live[trial.id] = live
        try:
            handle = await self.runner.start(self._launch(trial))
        except (OSError, RuntimeError) as exc:
            self._live.pop(trial.id, None)
            self._end_trial(trial, TrialState.FAILED, f"could not start the trial command: {exc}")
            return
        live.handle = handle
        fault_point("after_spawn")
        self.store.update_trial(trial.id, pid=handle.pid)
        self._publish_trial(trial.evolve(pid=handle.pid))
        self._arm_trial_timer(live)
        live.task = asyncio.create_task(self._watch(live))

    def _launch(self, trial: Trial) -> TrialLaunch:
        directory = _paths.trial_dir(self.experiment_dir, trial.id)
        # Made for the trial, so a script can write into $TUNELAB_TENSORBOARD_DIR without creating it.
        (directory / _env.TENSORBOARD_DIR_NAME).mkdir(parents=True, exist_ok=True)
        return TrialLaunch(
            trial_id=trial.id,
            sequence=trial.sequence,
            command=self.config.trial_command or "",
            code_dir=Path(self.config.trial_code_directory or ".").expanduser(),
            trial_dir=directory,
            env=self._trial_env(trial, directory),
            gpu_number=self.config.trial_gpu_number,
        )

    def _trial_env(self, trial: Trial, directory: Path) -> dict[str, str]:
        params = json.dumps(trial.parameters)
        # The platform's registered name (``local``, ``dask`` or a plugin's), as NNI names its service.
        platform = str(getattr(type(self.config.training_service), "platform", "local"))
        env = {
            _env.EXPERIMENT_ID: self.experiment_id,
            _env.TRIAL_ID: trial.id,
            _env.SEQUENCE_ID: str(trial.sequence),
            _env.OUTPUT_DIR: str(directory),
            _env.TENSORBOARD_DIR: str(directory / _env.TENSORBOARD_DIR_NAME),
            _env.METRICS_FILE: str(directory / _env.METRICS_FILE_NAME),
            _env.PLATFORM: platform,
            "NNI_PLATFORM": platform,
            "NNI_EXP_ID": self.experiment_id,
            "NNI_TRIAL_JOB_ID": trial.id,
            "NNI_TRIAL_SEQ_ID": str(trial.sequence),
            "NNI_OUTPUT_DIR": str(directory),
            "NNI_SYS_DIR": str(directory),
            "NNI_CODE_DIR": str(Path(self.config.trial_code_directory or ".").expanduser()),
        }
        if len(params) <= _env.INLINE_PARAMETERS_MAX:
            env[_env.PARAMETERS] = params
        else:
            path = directory / "parameter.json"
            path.write_text(params, encoding="utf-8")
            env[_env.PARAMETER_FILE] = str(path)
        if self.objectives is not None:
            env[_env.OBJECTIVES] = json.dumps(list(self.objectives.required))
        env.update(self._extra_env)
        return env

    async def _watch(self, live: _Live) -> None:
        assert live.handle is not None
        try:
            exit_info = await self.runner.wait(live.handle)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the runner lost the trial (e.g. a Dask worker died)
            self._log.exception("runner lost trial %s", live.trial.id)
            exit_info = TrialExit(trial_id=live.trial.id, returncode=None, message=f"runner error: {exc}")
        if self._fatal:
            # Not recorded: the trial stays RUNNING in the database, so resume re-runs it with the same
            # parameters (or keeps its result if its metrics file holds a final one).
            self._live.pop(live.trial.id, None)
        else:
            try:
                self._on_exit(live, exit_info)
            except StorageError as exc:
                self._storage_failed(exc)
        self._wake.set()

    # == metrics =========================================================================================
    def on_metric(self, message: Mapping[str, Any]) -> None:
        """Sink of the runner's channel: validate, feed the assessor, and batch the write."""
        metric = to_metric(message, self._metric_key)
        if metric is None:
            return
        fault_point("metric_ingest")
        self._ingest(metric, replay=False)

    def _ingest(self, metric: Metric, *, replay: bool) -> None:
        """``replay``: read from the metrics file (a gap on the socket, the trial's end, a re-attach).

        The file position only moves when the file is read: advancing it per socket line (to skip reading
        the file back) drifted whenever a line was seen twice, and the next catch-up then started inside a
        line and lost that value (the crash-fault suite caught it, about one run in three)."""
        live = self._live.get(metric.trial_id)
        if live is None:
            # A late message of an ended trial (or a stranger): the store dedups, so just write it.
            if metric.trial_id in self._trial_ids:
                self._queue_metric(metric)
            return
        if metric.kind == MetricKind.PERIODICAL:
            if metric.sequence > len(live.curve) and not replay:
                # The socket skipped values: the trial reports while no manager listens (between a crash
                # and the re-attach) and sends only to the file. The file holds everything up to here.
                self._catch_up(live)
            if metric.sequence < len(live.curve):
                return  # already seen (the metrics file replays what the socket delivered)
            if metric.sequence == len(live.curve):
                live.curve.append(metric.value)
                self._assess(live)
            self._queue_metric(metric)  # a value beyond a hole is stored; the curve waits for the hole
        else:
            if live.final is not None:
                if not replay:
                    self.store.add_event(
                        "duplicate_final_ignored", trial_id=live.trial.id, data={"value": _json_float(metric.value)}
                    )
                return
            live.final = metric.value
            live.final_data = metric.data
            self._queue_metric(metric)

    def _catch_up(self, live: _Live, *, ended: bool = False) -> None:
        """Ingest what the trial's durable metrics file holds beyond what was read of it before; values
        the socket already delivered are skipped. ``ended``: the process is gone, take a last partial line."""
        for metric in live.tail.read_new(final=ended):
            if metric.trial_id == live.trial.id:
                self._ingest(metric, replay=True)

    def _metrics_path(self, trial_id: str) -> Path:
        return _paths.trial_dir(self.experiment_dir, trial_id) / _env.METRICS_FILE_NAME

    def _queue_metric(self, metric: Metric) -> None:
        self._pending_metrics.append(metric)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_metrics)

    def _flush_metrics(self) -> None:
        self._flush_scheduled = False
        batch, self._pending_metrics = self._pending_metrics, []
        if not batch:
            return
        intermediates = [m for m in batch if m.kind == MetricKind.PERIODICAL]
        finals = [m for m in batch if m.kind == MetricKind.FINAL]
        accepted_finals: list[Metric] = []
        if self._fatal:
            return  # the store is unwritable; the trials' metrics files keep these values for resume
        try:
            with self.store.transaction():
                if intermediates:
                    self.store.add_intermediates(intermediates)
                fault_point("metric_write")
                for metric in finals:
                    if self.store.set_final(metric):
                        accepted_finals.append(metric)
        except StorageError as exc:
            self._storage_failed(exc)
            return
        self.feed.publish({"type": "metrics", "metrics": [_metric_json(m) for m in intermediates + accepted_finals]})

    def _assess(self, live: _Live) -> None:
        if self.assessor is None or live.kill_reason is not None:
            return
        try:
            good = self.assessor.assess_trial(live.trial.id, list(live.curve))
        except Exception:  # an assessor bug must not stop the experiment
            self._log.exception("assessor failed on trial %s", live.trial.id)
            return
        if not good:
            self._spawn(self._kill(live.trial.id, TrialState.EARLY_STOPPED, "stopped early by the assessor"))

    # == trial end =======================================================================================
    def _on_exit(self, live: _Live, exit_info: TrialExit) -> None:
        trial = live.trial
        if live.timer is not None:
            live.timer.cancel()
        # The socket may still hold the last lines when the process is gone; the metrics file has them all.
        self._catch_up(live, ended=True)
        self._flush_metrics()
        self._live.pop(trial.id, None)
        bad_final = self._final_problem(live.final, live.final_data)
        if live.kill_reason is not None:
            state, message = live.kill_reason, live.kill_message
        elif bad_final is not None and (exit_info.returncode == 0 or exit_info.returncode is None):
            state, message = TrialState.FAILED, bad_final  # NaN/inf cannot be ranked: not a success
        elif exit_info.returncode == 0:
            state, message = TrialState.SUCCEEDED, ""
        elif exit_info.returncode is None and live.final is not None:
            state, message = TrialState.SUCCEEDED, exit_info.message
        else:
            state, message = TrialState.FAILED, _failure_message(exit_info)
        retries = self.config.max_trial_retries or 0
        if state == TrialState.FAILED and trial.attempt < retries:
            self._requeue(trial, attempt=trial.attempt + 1, reason=message, fresh=True)
            return
        self._end_trial(trial, state, message, curve=tuple(live.curve))

    def _final_problem(self, value: float | None, data: Any) -> str | None:
        """Why a final result cannot rank (NaN; a missing or non-numeric objective), None when it can."""
        if value is None:
            return None
        if self.objectives is not None:
            return self.objectives.problem(data)
        return final_problem(value)

    def _end_trial(self, trial: Trial, state: TrialState, message: str, *,
                   curve: tuple[float, ...] | None = None) -> None:
        now = time.time()
        with self.store.transaction():
            self.store.update_trial(trial.id, status=state, ended_at=now, message=message)
            fault_point("trial_end_write")
            self.store.add_event("trial_end", trial_id=trial.id, data={"status": state.value, "message": message})
            self.store.update_experiment(elapsed=self.elapsed)  # so a crash loses at most one trial's time
        self._history.pending = [o for o in self._history.pending if o.trial_id != trial.id]
        stored = self.store.get_trial(trial.id)
        if curve is None:
            curve = tuple(self._curve_of(trial.id))
        self._history.finished.append(_observation(stored, value=stored.final, intermediate=curve))
        if self.assessor is not None:
            with contextlib.suppress(Exception):
                self.assessor.trial_end(trial.id, state == TrialState.SUCCEEDED)
        self._publish_trial(stored)
        if state in WORKED_STATES:
            self._worked = True
        elif state == TrialState.FAILED:
            self._failed_this_run.append(trial.id)
            self._check_fail_fast()

    def _check_fail_fast(self) -> None:
        """Stop the run (ERROR, saying why) when its first trials all failed and no trial ever worked: a
        broken trial command must not burn the whole budget. Failures after a success never stop it."""
        threshold = self.config.fail_fast_threshold
        if self._worked or self._failed_fast or threshold is None or len(self._failed_this_run) < threshold:
            return
        self._failed_fast = True
        summary = summarize_failures(self.experiment_id, (self.store.get_trial(t) for t in self._failed_this_run))
        if summary is None:
            return
        self._fail(fail_fast_message(self.experiment_id, summary))
        for trial_id in list(self._live):
            self._spawn(self._kill(trial_id, TrialState.USER_CANCELED,
                                   "experiment stopped: its first trials all failed"))
        self._wake.set()

    def _curve_of(self, trial_id: str) -> list[float]:
        return [m.value for m in self.store.get_metrics(trial_id, MetricKind.PERIODICAL)]

    def _requeue(self, trial: Trial, *, attempt: int, reason: str, fresh: bool = False) -> None:
        """Run the trial again with the same parameters. ``fresh`` (a retry after the process ended and its
        metrics file was read to the end): the attempt's metrics are dropped from the store and its file set
        aside, so the two attempts never mix. Both a retry and a re-run after a manager crash are fresh.
        """
        if fresh:
            self._set_aside_metrics_file(trial)
        with self.store.transaction():
            if fresh:
                self.store.reset_metrics(trial.id)
            self.store.update_trial(trial.id, status=TrialState.WAITING, attempt=attempt, message=reason,
                                    clear_pid=True)
            self.store.add_event("trial_requeued", trial_id=trial.id, data={"attempt": attempt, "reason": reason})
        self._queue.appendleft(trial.id)
        self._publish_trial(self.store.get_trial(trial.id))

    def _set_aside_metrics_file(self, trial: Trial) -> None:
        path = self._metrics_path(trial.id)
        with contextlib.suppress(FileNotFoundError):
            path.rename(path.with_name(f"{path.stem}.attempt-{trial.attempt}{path.suffix}"))

    def _finish_waiting(self, trial: Trial, state: TrialState, message: str) -> None:
        with contextlib.suppress(ValueError):
            self._queue.remove(trial.id)
        self._end_trial(trial, state, message)
        self._wake.set()

    async def _kill(self, trial_id: str, state: TrialState, message: str) -> None:
        live = self._live.get(trial_id)
        if live is None or live.kill_reason is not None:
            return
        live.kill_reason, live.kill_message = state, message
        if not self._fatal:
            self.store.add_event("trial_kill", trial_id=trial_id, data={"status": state.value, "message": message})
        if live.handle is not None:
            await self.runner.kill(live.handle, grace=self.config.trial_grace_period_s, reason=message)
        if live.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(live.task)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a background task, keeping a reference so it is not garbage-collected mid-flight."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _arm_trial_timer(self, live: _Live) -> None:
        limit = self.config.max_trial_duration_s
        if limit is None:
            return
        loop = asyncio.get_running_loop()
        live.timer = loop.call_later(
            limit,
            lambda: self._spawn(
                self._kill(live.trial.id, TrialState.EARLY_STOPPED, f"exceeded maxTrialDuration ({limit:g} s)")
            ),
        )

    # == budgets and status ==============================================================================
    def _budget_left(self) -> bool:
        limit = self.config.max_trial_number
        return limit is None or self._algorithm_trials < limit

    def _duration_exceeded(self) -> bool:
        limit = self.config.max_experiment_duration_s
        return limit is not None and self.elapsed >= limit

    def _finished_all(self) -> bool:
        if self._live:
            return False
        if self._failed_fast:
            return True
        if self._queue and not self._duration_exceeded():
            return False
        return (
            self._tuner_exhausted
            or self._tuner_error is not None
            or not self._budget_left()
            or self._duration_exceeded()
        )

    def _update_budget_status(self) -> None:
        if self.status in (ExperimentStatus.ERROR, ExperimentStatus.STOPPED):
            return
        if self._tuner_exhausted:
            self._set_status(ExperimentStatus.TUNER_NO_MORE_TRIAL)
        elif not self._budget_left() or self._duration_exceeded():
            self._set_status(ExperimentStatus.NO_MORE_TRIAL)
        else:
            self._set_status(ExperimentStatus.RUNNING)

    def _complete(self) -> None:
        # Left WAITING when the duration ran out (cancelled), or when the run failed fast (kept for resume).
        for trial_id in [] if self._failed_fast else list(self._queue):
            trial = self.store.get_trial(trial_id)
            if trial.status == TrialState.WAITING:
                self._end_trial(trial, TrialState.USER_CANCELED, "not started: maxExperimentDuration reached")
        self._queue.clear()
        if self.status not in (ExperimentStatus.ERROR, ExperimentStatus.DONE):
            self._set_status(ExperimentStatus.DONE, ended=True)

    def _revive(self) -> None:
        """Budgets were raised or work was queued: a DONE experiment runs again (as NNI does)."""
        if self.status in (ExperimentStatus.DONE, ExperimentStatus.NO_MORE_TRIAL, ExperimentStatus.TUNER_NO_MORE_TRIAL):
            self._set_status(ExperimentStatus.RUNNING, clear_end=True)
        self._arm_deadline()
        self._wake.set()

    def _enter_running(self) -> None:
        self._run_started = time.monotonic()
        with self.store.transaction():
            self.store.update_experiment(run_started_at=time.time(), clear_ended_at=True, error="")
            self._set_status(ExperimentStatus.RUNNING)
        self._arm_deadline()
        self._wake.set()

    def _arm_deadline(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        limit = self.config.max_experiment_duration_s
        if limit is not None:
            remaining = max(0.0, limit - self.elapsed)
            self._deadline_timer = asyncio.get_running_loop().call_later(remaining + 0.01, self._wake.set)

    def _set_status(self, status: ExperimentStatus, *, ended: bool = False, clear_end: bool = False,
                    error: str | None = None) -> None:
        if status == self.status and not ended and error is None:
            return
        self.status = status
        self._log.info("experiment %s%s", status.value, f": {error}" if error else "")
        self.store.update_experiment(
            status=status,
            error=error,
            ended_at=time.time() if ended else None,
            clear_ended_at=clear_end,
            elapsed=self.elapsed,
        )
        self.store.add_event("experiment_status", data={"status": status.value, **({"error": error} if error else {})})
        self.feed.publish({"type": "experiment", "status": status.value, "error": error})

    def _fail(self, message: str) -> None:
        self._log.error("experiment %s failed: %s", self.experiment_id, message)
        self._set_status(ExperimentStatus.ERROR, error=message, ended=True)

    def _update_config(self, **changes: Any) -> None:
        self._require_writable()
        for name, value in changes.items():
            setattr(self.config, name, value)
        self.store.update_experiment(config=self.config.to_dict())
        self.store.add_event("config_updated", data={k: _jsonable(v) for k, v in changes.items()})
        self.feed.publish({"type": "config", "changes": {k: _jsonable(v) for k, v in changes.items()}})
        self._revive()

    def _require_writable(self) -> None:
        if self.status in (ExperimentStatus.STOPPED, ExperimentStatus.VIEWED) or self._stopping:
            raise ConflictError(
                f"experiment {self.experiment_id} is {self.status.value}; resume it with "
                f"`tunelab resume {self.experiment_id}` to change it"
            )

    def _publish_trial(self, trial: Trial) -> None:
        if self._logged_states.get(trial.id) != trial.status:
            self._logged_states[trial.id] = trial.status
            detail = f": {trial.message}" if trial.message else ""
            if trial.status in (TrialState.WAITING, TrialState.RUNNING):
                detail += f" {json.dumps(_jsonable(trial.parameters))}"
            self._log.info("trial %s (#%d) %s%s", trial.id, trial.sequence, trial.status.value, detail)
        self.feed.publish({"type": "trial", "trial": trial_json(trial)})

    # == resume ==========================================================================================
    async def _recover(self) -> None:
        """Rebuild the loop's state from the store (a no-op for a new experiment)."""
        record = self.store.get_experiment()
        self._elapsed_before = record.elapsed
        trials = self.store.list_trials()
        for trial in trials:
            self._trial_ids.add(trial.id)
            if trial.source == TrialSource.ALGORITHM:
                self._algorithm_trials += 1
        for trial in trials:
            self._worked = self._worked or trial.status in WORKED_STATES
            if trial.status.is_finished:
                curve = tuple(self._curve_of(trial.id))
                self._history.finished.append(_observation(trial, value=trial.final, intermediate=curve))
            elif trial.status == TrialState.WAITING:
                self._history.pending.append(_observation(trial))
                self._queue.append(trial.id)
            else:
                await self._recover_running(trial)
        if trials:
            self.store.add_event("resumed", data={"trials": len(trials), "finished": len(self._history.finished)})

    async def _recover_running(self, trial: Trial) -> None:
        directory = _paths.trial_dir(self.experiment_dir, trial.id)
        self._history.pending.append(_observation(trial))
        pid = self._find_trial_process(trial)
        if pid is not None:
            live = _Live(trial=trial.evolve(pid=pid), tail=MetricsFileTail(self._metrics_path(trial.id), key=self._metric_key))
            live.handle = self.runner.adopt(trial.id, pid, directory, self._trial_env(trial, directory))
            self._live[trial.id] = live
            self._catch_up(live)
            self.store.add_event("trial_reattached", trial_id=trial.id, data={"pid": pid})
            self._arm_trial_timer(live)
            live.task = asyncio.create_task(self._watch(live))
            return
        metrics = list(read_metrics_file(directory / _env.METRICS_FILE_NAME, self._metric_key))
        intermediates = [m for m in metrics if m.kind == MetricKind.PERIODICAL]
        finals = [m for m in metrics if m.kind == MetricKind.FINAL]
        if finals:
            # Through the usual flush (one transaction, then the feed), before the trial's end: observers
            # such as the live UI and MLflow close a trial's curve when it ends.
            self._pending_metrics.extend([*intermediates, finals[0]])
            self._flush_metrics()
        bad_final = self._final_problem(finals[0].value, finals[0].data) if finals else None
        if bad_final is not None:
            self._end_trial(trial, TrialState.FAILED, bad_final)
        elif finals:
            self._end_trial(trial, TrialState.SUCCEEDED, "finished while the manager was down")
        else:
            # The dead attempt's values stay in the set-aside file, not in the re-run's curve.
            self._requeue(trial, attempt=trial.attempt, reason="its process ended while the manager was down; "
                          "running it again with the same parameters", fresh=True)

    def _find_trial_process(self, trial: Trial) -> int | None:
        """The live process (group leader) of a trial an earlier manager started, or None.

        The stored pid is checked against the process's environment (pids get reused). When the manager
        died between spawning the process and storing its pid, the process is found by the trial and
        experiment ids in its environment; if no single group leader can be told apart, every such process
        is killed, so that no orphan keeps writing to the metrics file while the trial runs again.
        """
        from tunelab.runners._process import group_leader, pids_with_env, process_has_env

        if trial.pid is not None and process_has_env(trial.pid, _env.TRIAL_ID, trial.id):
            return trial.pid
        candidates = [pid for pid in pids_with_env(_env.TRIAL_ID, trial.id)
                      if process_has_env(pid, _env.EXPERIMENT_ID, self.experiment_id)]
        leaders = [pid for pid in candidates if group_leader(pid)]
        if len(leaders) == 1:
            self.store.update_trial(trial.id, pid=leaders[0])
            return leaders[0]
        if candidates:
            from tunelab.runners._process import kill_pids

            kill_pids(candidates)
            self.store.add_event("trial_orphans_killed", trial_id=trial.id, data={"pids": candidates})
        return None

    async def _shutdown(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        kills = [self._kill(tid, TrialState.USER_CANCELED, "experiment stopped") for tid in list(self._live)]
        if kills:
            await asyncio.gather(*kills, return_exceptions=True)
        try:
            self._flush_metrics()
            if not self._fatal:
                for trial_id in list(self._queue):
                    trial = self.store.get_trial(trial_id)
                    if trial.status == TrialState.WAITING and self.status == ExperimentStatus.STOPPED:
                        self._end_trial(trial, TrialState.USER_CANCELED, "experiment stopped")
                self.store.update_experiment(elapsed=self.elapsed)
        except StorageError as exc:
            self._storage_failed(exc)
        await self.runner.close()
        if self._reserve is not None:
            self._reserve.unlink(missing_ok=True)
        for observer in self._observers:
            try:
                await asyncio.to_thread(observer.close)
            except Exception:  # an observer is an add-on: its failure must not hide the experiment's end
                self._log.exception("observer %s failed to close", type(observer).__name__)
        self._log.info("manager stopped; experiment %s", self.status.value)
        self._done.set()

    def _storage_failed(self, exc: StorageError) -> None:
        """The store refused a write (a full disk, a lost database): stop everything, keep it resumable.

        Nothing more is written except the ERROR status, for which the reserve file is given up first so
        a full disk has room for it. Running trials are killed without recording their end: they stay
        RUNNING in the database and resume treats them like trials of a crashed manager.
        """
        if self._fatal is not None:
            return
        if self._reserve is not None:
            self._reserve.unlink(missing_ok=True)
            self._reserve = None
        hint = " (the disk is full)" if isinstance(exc, StorageFullError) else ""
        self._fatal = (
            f"the experiment stopped: its database could not be written{hint}: {exc}; free space or fix the "
            f"database, then `tunelab resume {self.experiment_id}` (finished trials are kept, running ones "
            "run again with the same parameters)"
        )
        self._log.error("experiment %s: %s", self.experiment_id, self._fatal)
        self.status = ExperimentStatus.ERROR
        with contextlib.suppress(StorageError):
            self.store.update_experiment(status=ExperimentStatus.ERROR, error=self._fatal, elapsed=self.elapsed)
        self.feed.publish({"type": "experiment", "status": ExperimentStatus.ERROR.value, "error": self._fatal})
        self._stopping = True
        self._wake.set()


# == helpers =============================================================================================
RESERVE_FILE = ".tunelab-reserve"
RESERVE_BYTES = 512 * 1024


def _reserve_space(experiment_dir: Path) -> Path | None:
    """Hold some disk space that a full disk gives back for the last status write (None when the disk
    is already too full to hold it)."""
    path = experiment_dir / RESERVE_FILE
    try:
        with open(path, "wb") as handle:
            handle.write(b"\0" * RESERVE_BYTES)  # written, not sparse: the blocks must really be taken
    except OSError:
        path.unlink(missing_ok=True)
        return None
    return path


def _observation(trial: Trial, *, value: float | None = None, intermediate: tuple[float, ...] = ()) -> Observation:
    return Observation(
        trial_id=trial.id,
        sequence=trial.sequence,
        parameters=trial.parameters,
        state=trial.status,
        value=value,
        intermediate=intermediate,
        metrics=trial.final_data if isinstance(trial.final_data, dict) else None,
    )


def _failure_message(exit_info: TrialExit) -> str:
    """``exited with code 3: <last stderr line>``, then the last lines of stderr (the trial's own words)."""
    head = f"exited with {describe_exit(exit_info.returncode)}"
    if exit_info.message:
        head = exit_info.message
    lines = [line.rstrip() for line in exit_info.stderr_tail.splitlines() if line.strip()]
    # A shell reports a child's death by signal with a line of its own ("Segmentation fault"); the line
    # worth a headline is the one before it, written by the trial.
    own = [line for line in lines if not _SHELL_NOISE.match(line.strip())] or lines
    if not own:
        return head
    headline = f"{head}: {own[-1].strip()[:500]}"
    tail = "\n".join(line[:500] for line in lines[-_TAIL_LINES:])
    return headline if len(lines) == 1 else f"{headline}\n--- last lines of stderr ---\n{tail}"[:_MESSAGE_MAX]


_TAIL_LINES = 10
_MESSAGE_MAX = 4000
_SHELL_NOISE = re.compile(r"^(\S+: line \d+: \d+ )?(Segmentation fault|Killed|Aborted|Bus error|"
                          r"Illegal instruction|Floating point exception|Terminated)( \(core dumped\))?.*$")


def _require_positive_int(value: Any, field_name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInputError(f"{field_name}: must be a positive integer, got {value!r}")


def _metric_json(metric: Metric) -> dict[str, Any]:
    return {"trial_id": metric.trial_id, "kind": metric.kind.value, "sequence": metric.sequence,
            "value": _json_float(metric.value), "data": _jsonable(metric.data), "timestamp": metric.timestamp}


__all__ = ["ExperimentManager", "NotFoundError"]
