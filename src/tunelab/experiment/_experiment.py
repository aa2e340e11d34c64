"""``Experiment``: NNI's Python experiment API (``nni.experiment.Experiment``) on tunelab's manager.

``start()`` launches the same detached manager as ``tunelab create``; every other method talks to it over
its REST API (:class:`tunelab.client.LiveBackend`). The object is a handle: it holds no experiment state
of its own, so several handles (or the CLI) may drive one experiment.
"""

from __future__ import annotations

import atexit
import logging
import sys
import time
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from tunelab.base import ConflictError, InvalidInputError, NotFoundError, TunelabError, check_port
from tunelab.config import ExperimentConfig
from tunelab.experiment._records import (
    TrialJob,
    TrialMetricData,
    TrialResult,
    experiment_profile,
    metric_data,
    trial_job,
    trial_result,
)

_log = logging.getLogger("tunelab.experiment")
_LOG_FORMAT = "[%(asctime)s] %(levelname)s (%(name)s) %(message)s"  # NNI's shape


def _enable_default_logging() -> None:
    """Say what NNI says (the experiment id, the web UI URL) on stdout, unless the user set up logging.

    A script that configured logging itself (a root handler, or one on ``tunelab``) gets the messages
    through its own handlers and levels, and nothing is added; otherwise one handler at INFO is attached
    to ``tunelab.experiment``, once.
    """
    if logging.getLogger().handlers or logging.getLogger("tunelab").handlers or _log.handlers:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False  # a root handler added later must not print every line twice


class FinalStatus(str):
    """The status an experiment ended with (``"DONE"``, ``"STOPPED"``, ``"ERROR"``...), returned by ``run()``.

    It is false only for ``"ERROR"``, so NNI-style ``if experiment.run(): ...`` (True on DONE/STOPPED,
    False on ERROR) keeps its meaning.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return self != "ERROR"

#: Statuses after which ``run()`` returns (True) — the manager keeps serving the UI until ``stop()``.
_ENDED_OK = frozenset({"DONE", "STOPPED"})
_POLL_S = 1.0
_STOP_TIMEOUT_S = 30.0


class RunMode(str, Enum):
    """What happens to the manager when this Python process exits (NNI's names).

    ``Background`` and ``Foreground`` stop the experiment at exit; ``Detach`` leaves it running (use
    ``tunelab stop ID`` later). tunelab's manager logs to its experiment directory in every mode.
    """

    Background = "background"
    Foreground = "foreground"
    Detach = "detach"


class Experiment:
    """Create, run, inspect and control one experiment from Python.

    ``Experiment('local')`` gives a config with placeholders (``experiment.config.tuner.name = 'TPE'``,
    ``experiment.config.tuner.class_args['optimize_mode'] = 'maximize'``); ``Experiment(config)`` takes an
    :class:`~tunelab.config.ExperimentConfig`; ``Experiment(None, id)`` names an existing experiment for
    :meth:`resume` or :meth:`view`. Methods that need a running manager raise :class:`ConflictError`
    before :meth:`start` (or :meth:`connect`).
    """

    def __init__(self, config_or_platform: ExperimentConfig | str | list[str] | None = None,
                 id: str | None = None) -> None:
        if isinstance(config_or_platform, ExperimentConfig):
            self.config: ExperimentConfig | None = config_or_platform
        elif config_or_platform is None:
            self.config = None
        elif isinstance(config_or_platform, str):
            self.config = ExperimentConfig(config_or_platform)
        else:
            raise InvalidInputError(
                f"Experiment: hybrid training services {config_or_platform!r} are not supported; "
                "give one platform: 'local' (or configure Dask in the config file)"
            )
        self.id = id
        self.port: int | None = None
        self.url_prefix: str | None = None
        self.url: str | None = None
        self._backend: Any = None  # tunelab.client.LiveBackend once a manager serves this experiment
        self._run_mode = RunMode.Background
        self._atexit_registered = False
        self._experiment_dir: str | None = None

    # == lifecycle ======================================================================================
    def start(self, port: int = 8080, debug: bool = False, run_mode: RunMode = RunMode.Background) -> None:
        """Launch the manager (detached) and return once its web UI listens on ``port``.

        Raises :class:`ConfigError` for an invalid config and :class:`TunelabError` when the manager cannot
        start (port taken, experiment id in use). Unless ``run_mode`` is ``Detach``, the experiment is
        stopped when this interpreter exits.
        """
        del debug  # the manager always logs to <experiment>/log; kept for NNI's signature
        if self.config is None:
            raise InvalidInputError("Experiment.start: no config; pass an ExperimentConfig or a platform "
                                    "('local'), or call resume()/view() for an existing experiment")
        from tunelab.client import start_detached

        _enable_default_logging()
        check_port(port, "port")
        self.config.validate()
        info = start_detached(self.config, port=port, experiment_id=self.id)
        self._attach(info, run_mode)
        self._announce()

    def run(self, port: int = 8080, wait_completion: bool = True, debug: bool = False) -> FinalStatus | None:
        """``start()``, then block until the experiment ends and return its final status (a
        :class:`FinalStatus`: ``"DONE"`` or ``"STOPPED"``, true, or ``"ERROR"``, false, as NNI's True/False);
        ``None`` right away when ``wait_completion`` is False, or after Ctrl-C (which stops the experiment)."""
        self.start(port, debug)
        if not wait_completion:
            return None
        return self._wait_completion()

    def stop(self) -> None:
        """Stop the experiment and its manager (running trials are killed). Safe to call twice."""
        backend, self._backend = self._backend, None
        if backend is None:
            return
        try:
            backend.stop(timeout=_STOP_TIMEOUT_S)
        except TunelabError as exc:
            _log.warning("stopping experiment %s: %s", self.id, exc)
        try:
            self._terminate_if_alive(backend.info.pid)
        finally:
            backend.close()
            if self._atexit_registered:
                atexit.unregister(self._stop_at_exit)
                self._atexit_registered = False

    def close(self) -> None:
        """Let go of the manager without stopping it (for ``connect()`` and ``Detach`` handles)."""
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()
        if self._atexit_registered:
            atexit.unregister(self._stop_at_exit)
            self._atexit_registered = False

    def resume(self, port: int = 8080, wait_completion: bool = True, debug: bool = False) -> FinalStatus | None:
        """Resume the stopped experiment ``self.id`` (finished trials kept, the tuner warm-started)."""
        del debug
        _enable_default_logging()
        self._reopen("resume", port)
        self._announce()
        if not wait_completion:
            return None
        return self._wait_completion()

    def view(self, port: int = 8080, non_blocking: bool = False) -> None:
        """Serve experiment ``self.id`` read-only; blocks until Ctrl-C unless ``non_blocking``."""
        self._reopen("view", port)
        if non_blocking:
            return
        try:
            while True:
                time.sleep(_POLL_S)  # a blocking API call in a user's script: nothing to await
        except KeyboardInterrupt:
            _log.warning("KeyboardInterrupt detected")
        self.stop()

    def run_or_resume(self, port: int = 8080, wait_completion: bool = True,
                      debug: bool = False) -> FinalStatus | None:
        if self.has_checkpoint():
            return self.resume(port, wait_completion, debug)
        return self.run(port, wait_completion, debug)

    def has_checkpoint(self) -> bool:
        """Whether experiment ``self.id`` exists on disk (so that ``resume`` can continue it)."""
        if not self.id:
            return False
        from tunelab.manager import experiments_root

        root = experiments_root(self.config.experiment_working_directory if self.config else None)
        return (root / self.id).is_dir()

    def load_checkpoint(self) -> None:
        """No-op kept for NNI's API: a tunelab experiment's state lives in its database."""

    def save_checkpoint(self) -> None:
        """No-op kept for NNI's API (NNI's HPO experiments do nothing here either)."""

    @classmethod
    def connect(cls, port: int) -> Experiment:
        """A handle on the experiment whose manager serves on ``port`` (it keeps running at exit)."""
        from tunelab.manager import experiments_root, read_info

        root = experiments_root()
        for directory in sorted(root.iterdir()) if root.is_dir() else []:
            info = read_info(directory) if directory.is_dir() else None
            if info is not None and info.port == port:
                experiment = cls(None, info.experiment_id)
                experiment._attach(info, RunMode.Detach)
                return experiment
        raise NotFoundError(f"Experiment.connect: no tunelab manager serves port {port} under {root}; "
                            "`tunelab list` shows running experiments and their ports")

    # == queries ========================================================================================
    def get_status(self) -> str:
        """``INITIALIZED|RUNNING|NO_MORE_TRIAL|TUNER_NO_MORE_TRIAL|DONE|STOPPED|ERROR|VIEWED``."""
        return str(self._live().experiment()["status"])

    def get_experiment_profile(self) -> dict[str, Any]:
        """NNI's profile (``id``, ``params`` with ``maxTrialNumber``..., ``execDuration``, ``logDir``,
        ``startTime``, ``endTime``, ``nextSequenceId``), then tunelab's overview keys."""
        return experiment_profile(self._live().experiment())

    def get_trial_job(self, trial_job_id: str) -> TrialJob:
        trial = self._live().request("GET", f"/trials/{trial_job_id}")
        return trial_job(trial, self._trial_dir(trial_job_id))

    def list_trial_jobs(self) -> list[TrialJob]:
        return [trial_job(t, self._trial_dir(str(t["id"]))) for t in self._live().trials()]

    def get_job_statistics(self) -> list[dict[str, Any]]:
        """``[{"trialJobStatus": status, "trialJobNumber": n}]`` for every status with trials."""
        counts: Mapping[str, int] = self._live().experiment().get("counts", {})
        return [{"trialJobStatus": status, "trialJobNumber": n} for status, n in counts.items() if n]

    def get_job_metrics(self, trial_job_id: str | None = None) -> dict[str, list[TrialMetricData]]:
        """Every metric (intermediate, then final) of one trial or of all trials, keyed by trial id."""
        backend = self._live()
        ids = [trial_job_id] if trial_job_id else [str(t["id"]) for t in backend.trials()]
        return {tid: metric_data(backend.request("GET", f"/trials/{tid}")) for tid in ids}

    def export_data(self) -> list[TrialResult]:
        """Final results in NNI's export shape (trials without a final result are left out)."""
        return [trial_result(r) for r in self._live().export("json", False)]

    def get_pareto_front(self) -> list[dict[str, Any]]:
        """tunelab: the Pareto front of an experiment with several ``objectives`` (best primary objective
        first): ``[{"parameters", "values", "value", "feasible", "trial_id", "sequence_id"}]``. Raises
        ``NotFoundError`` for a single-objective experiment (``export_data`` holds its results)."""
        return list(self._live().request("GET", "/pareto")["front"])

    # == control ========================================================================================
    def update_trial_concurrency(self, value: int) -> None:
        self._update(trialConcurrency=value)

    def update_max_trial_number(self, value: int) -> None:
        self._update(maxTrialNumber=value)

    def update_max_experiment_duration(self, value: str | int | float) -> None:
        self._update(maxExperimentDuration=value)

    def update_search_space(self, value: dict[str, Any]) -> None:
        self._update(searchSpace=value)

    def kill_trial_job(self, trial_job_id: str) -> None:
        self._live().request("POST", f"/trials/{trial_job_id}/kill")

    # == internals ======================================================================================
    def _attach(self, info: Any, run_mode: RunMode) -> None:
        from tunelab.client import LiveBackend

        self.id = info.experiment_id
        self.port = info.port
        self.url = info.url
        self._backend = LiveBackend(info.experiment_id, info)
        self._experiment_dir = None
        self._run_mode = run_mode
        if run_mode != RunMode.Detach and not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True
        elif run_mode == RunMode.Detach:
            atexit.register(self.close)  # the client's socket, not the experiment

    def _reopen(self, mode: str, port: int) -> None:
        if not self.id:
            raise InvalidInputError(f"Experiment.{mode}: no experiment id; use Experiment(None, 'ID').{mode}()")
        if self._backend is not None:
            raise ConflictError(f"experiment {self.id} is already served by this handle at {self.url}")
        from tunelab.client import spawn_manager
        from tunelab.manager import experiments_root, find_experiment_dir

        find_experiment_dir(self.id)  # NotFoundError with the list hint before spawning anything
        args = ["--mode", mode, "--id", self.id, "--port", str(check_port(port, "port")), "--host", "127.0.0.1"]
        info = spawn_manager(args, experiments_root() / "_managers.log")
        self._attach(info, RunMode.Background)
        if self.config is None:
            from tunelab.config import parse_config

            self.config = parse_config(dict(self._live().experiment()["config"]))

    def _announce(self) -> None:
        _log.info("Experiment ID: %s", self.id)
        _log.info("Web portal URL: %s", self.url)
        _log.info("Stop it with experiment.stop() or `tunelab stop %s`", self.id)

    def _wait_completion(self) -> FinalStatus | None:
        try:
            while True:
                profile = self.get_experiment_profile()
                status = str(profile["status"])
                if status in _ENDED_OK or status == "ERROR":
                    self._report_end(profile)
                    return FinalStatus(status)
                time.sleep(_POLL_S)  # NNI polls every 10 s; 1 s keeps scripts snappy at no real cost
        except KeyboardInterrupt:
            _log.warning("KeyboardInterrupt detected: stopping experiment %s", self.id)
            self.stop()
            return None

    def _report_end(self, profile: Mapping[str, Any]) -> None:
        from tunelab.manager import summary_from_json

        status = profile["status"]
        if status == "ERROR":
            _log.error("Experiment %s ended ERROR: %s", self.id, profile.get("error") or "(no message)")
        else:
            _log.info("Experiment %s ended %s", self.id, status)
        summary = summary_from_json(profile.get("failures"))
        if summary is not None:
            for line in summary.lines():
                _log.warning("%s", line)

    def _update(self, **fields: Any) -> None:
        self._live().request("PATCH", "/experiment", json=fields)

    def _live(self) -> Any:
        if self._backend is None:
            raise ConflictError(f"experiment {self.id or '(not started)'} is not running in this handle; "
                                "call start(), resume(), view() or Experiment.connect(port) first")
        return self._backend

    def _trial_dir(self, trial_id: str) -> str:
        if self._experiment_dir is None:
            self._experiment_dir = str(self._live().experiment().get("experiment_dir") or "")
        return str(Path(self._experiment_dir) / "trials" / trial_id) if self._experiment_dir else ""

    def _terminate_if_alive(self, pid: int) -> None:
        """NNI kills the manager when the REST stop fails; so does this (SIGTERM: it still cleans up)."""
        import os
        import signal

        from tunelab.manager import find_experiment_dir, read_info

        try:
            info = read_info(find_experiment_dir(str(self.id)))
        except TunelabError:
            return
        if info is None or info.pid != pid:
            return
        _log.warning("manager of %s did not stop; sending SIGTERM to pid %d", self.id, pid)
        try:
            os.kill(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while read_info(find_experiment_dir(str(self.id))) is not None and time.monotonic() < deadline:
            time.sleep(0.1)  # waiting for another process to exit: nothing to await

    def _stop_at_exit(self) -> None:
        self._atexit_registered = False
        self.stop()

    def __repr__(self) -> str:
        state = f"serving at {self.url}" if self._backend is not None else "not running"
        return f"Experiment(id={self.id!r}, {state})"
