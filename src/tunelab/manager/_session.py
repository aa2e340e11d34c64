"""Opening an experiment for a manager session: create, resume or view.

This is where the pieces meet: the config chooses the store, the tuner, the assessor and the runner;
the lock makes sure only one manager writes to an experiment.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.assessors import Assessor, create_assessor_from_config
from tunelab.base import ConfigError, ConflictError, StorageError
from tunelab.config import ExperimentConfig, get_platform, parse_config
from tunelab.manager import _paths
from tunelab.manager._feed import Observer
from tunelab.manager._lock import ManagerLock, read_info
from tunelab.manager._log_file import ManagerLog
from tunelab.manager._manager import ExperimentManager
from tunelab.manager._mode import Mode
from tunelab.manager._paths import find_experiment_dir
from tunelab.runners import Runner
from tunelab.space import parse_search_space
from tunelab.storage import (
    DB_FILENAME,
    ExperimentRecord,
    ExperimentStore,
    check_integrity,
    open_store,
    record_storage,
    recorded_storage,
)
from tunelab.trial import ExperimentStatus
from tunelab.tuners import Tuner, create_tuner_from_config


@dataclass
class Session:
    """An opened experiment: its directory, store, and (unless viewing) its manager and lock."""

    experiment_id: str
    experiment_dir: Path
    store: ExperimentStore
    config: ExperimentConfig
    mode: Mode
    manager: ExperimentManager | None = None
    lock: ManagerLock | None = None
    log: ManagerLog | None = None

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
        self.store.close()
        if self.lock is not None:
            self.lock.release()


def store_location(config_storage: str | None, exp_dir: Path) -> str | Path:
    """PostgreSQL when the config names a URL, otherwise the SQLite file in the experiment directory."""
    return config_storage if config_storage else exp_dir


def create_session(
    config: ExperimentConfig,
    *,
    experiment_id: str | None = None,
    keep_serving: bool = False,
) -> Session:
    """Validate ``config``, make the experiment directory and database, and build its manager."""
    config.validate()
    require_gpus(config)  # before anything is made: a GPU that is not there never frees up
    root = _paths.prepare_root(config.experiment_working_directory)
    exp_id = (_paths.validate_experiment_id(experiment_id) if experiment_id is not None
              else _paths.new_experiment_id(root))
    exp_dir = _paths.experiment_dir(root, exp_id)
    existed = exp_dir.exists()
    lock = ManagerLock(exp_dir)
    lock.acquire(exp_id)
    store: ExperimentStore | None = None
    try:
        _paths.restrict_dir(exp_dir)
        store = open_store(store_location(config.storage, exp_dir), exp_id)
        if config.storage:
            record_storage(exp_dir, config.storage)
        seed = _tuner_seed(config)
        record = ExperimentRecord(
            id=exp_id,
            name=config.experiment_name,
            config=config.to_dict(),
            status=ExperimentStatus.INITIALIZED,
            created_at=time.time(),
            extra={"tuner_seed": seed, "experiment_dir": str(exp_dir)},
        )
        store.create_experiment(record)
        session = Session(exp_id, exp_dir, store, config, Mode.CREATE, lock=lock)
        session.manager = _build_manager(session, seed=seed, resumed_trials=0, keep_serving=keep_serving)
    except BaseException:
        # A config error found while building (an unknown tuner or assessor name) must not leave a
        # half-made experiment behind; a directory that existed before is never removed.
        if store is not None:
            store.close()
        lock.release()
        if not existed:
            shutil.rmtree(exp_dir, ignore_errors=True)
        raise
    return session


def open_session(
    experiment_id: str,
    *,
    mode: Mode,
    root: Path | None = None,
    storage: str | None = None,
    keep_serving: bool = False,
) -> Session:
    """Open an existing experiment to resume (a new manager on it) or view (read-only)."""
    exp_dir = find_experiment_dir(experiment_id, root)
    lock: ManagerLock | None = None
    if mode == Mode.VIEW:
        live = read_info(exp_dir)
        if live is not None:
            raise ConflictError(
                f"experiment {experiment_id} is being served already ({live.mode}) at {live.url}; open that, "
                f"or `tunelab stop {experiment_id}` first"
            )
    if mode == Mode.RESUME:
        lock = ManagerLock(exp_dir)
        lock.acquire(experiment_id)
    try:
        if mode == Mode.RESUME:
            _paths.restrict_dir(exp_dir)
        location = store_location(storage or recorded_storage(exp_dir), exp_dir)
        _require_database(location, experiment_id)
        store = open_store(location, experiment_id, readonly=mode == Mode.VIEW)
        record = store.get_experiment()
        # Viewing runs no trial, so a config that could not start one (no trialCommand, a code directory
        # removed since) is still good enough to show what was stored.
        config = parse_config(dict(record.config), validate=mode != Mode.VIEW)
        session = Session(experiment_id, exp_dir, store, config, mode, lock=lock)
        if mode == Mode.RESUME:
            require_gpus(config)
            seed = int(record.extra.get("tuner_seed", 0))
            resumed = len(store.list_trials())
            session.manager = _build_manager(session, seed=seed, resumed_trials=resumed, keep_serving=keep_serving)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return session


def _require_database(location: str | Path, experiment_id: str) -> None:
    """Resume opens the database for writing, which would lay out an empty schema in a missing or empty
    file; say plainly that there is nothing to resume instead (view and show report the same)."""
    if not isinstance(location, Path):
        return  # PostgreSQL: a missing experiment row is reported by get_experiment()
    database = location / DB_FILENAME
    if not database.is_file() or database.stat().st_size == 0:
        raise StorageError(
            f"experiment {experiment_id} has no database ({database} is missing or empty); nothing to resume "
            f"or view. `tunelab delete {experiment_id}` removes the folder"
        )
    check_integrity(database, what=f"experiment {experiment_id}")


def _build_manager(session: Session, *, seed: int, resumed_trials: int, keep_serving: bool) -> ExperimentManager:
    config = session.config
    space = parse_search_space(config.resolved_search_space())
    # A resumed tuner must not replay the proposals of its first run: same seed, different stream.
    tuner = build_tuner(config, space, seed=seed if resumed_trials == 0 else _derive(seed, resumed_trials),
                        experiment_dir=session.experiment_dir)
    assessor = build_assessor(config)
    manager_box: list[ExperimentManager] = []  # the runner's sink needs the manager, built just below

    def sink(message: Mapping[str, Any]) -> None:
        manager_box[0].on_metric(message)

    runner = build_runner(config, session.experiment_dir, sink)
    manager = ExperimentManager(
        experiment_id=session.experiment_id,
        config=config,
        store=session.store,
        experiment_dir=session.experiment_dir,
        runner=runner,
        tuner=tuner,
        assessor=assessor,
        keep_serving=keep_serving,
        extra_trial_env=_compat_env(),
        observers=_observers(session),
    )
    manager_box.append(manager)
    # Viewing builds no manager and writes nothing, so only a create or a resume opens the log.
    session.log = ManagerLog(session.experiment_id, session.experiment_dir)
    how = f"resumed ({resumed_trials} trials so far)" if session.mode == Mode.RESUME else "created"
    session.log.logger.info("experiment %s %s (pid %d, %s)", session.experiment_id, how, os.getpid(),
                            session.experiment_dir)
    return manager


def _observers(session: Session) -> list[Observer]:
    """The add-ons that follow the experiment from its change feed: MLflow when ``mlflow`` is set."""
    if session.config.mlflow is None:
        return []
    from tunelab.manager._log_file import manager_logger
    from tunelab.manager._mlflow import MlflowObserver

    return [MlflowObserver(experiment_id=session.experiment_id, experiment_dir=session.experiment_dir,
                           config=session.config, logger=manager_logger(session.experiment_id))]


def build_tuner(config: ExperimentConfig, space: Any, *, seed: int, experiment_dir: Path | None = None) -> Tuner:
    algorithm = config.tuner
    name = (algorithm.name if algorithm is not None else None) or "Auto"
    class_args: dict[str, Any] = dict(algorithm.class_args or {}) if algorithm is not None else {}
    objectives = config.objective_spec
    if algorithm is not None and algorithm.class_name:
        from tunelab.tuners import load_custom_tuner

        if objectives is not None and objectives.needs_multi_objective_tuner:
            raise ConfigError(
                f"tuner.className: a custom tuner receives one number per trial, but the experiment declares "
                f"objectives {', '.join(objectives.required)}; use tuner: {{name: MOTPE}} or NSGA2, or keep "
                "one objective"
            )
        code_dir = None if algorithm.code_directory is None else Path(algorithm.code_directory)
        return load_custom_tuner(algorithm.class_name, code_dir, space, class_args, seed=seed)
    class_args.setdefault("seed", seed)
    if experiment_dir is not None and name.lower() in ("pbt", "pbttuner"):
        # NNI hands PBT the experiment's checkpoint directory; keep checkpoints with the experiment.
        class_args.setdefault("all_checkpoint_dir", str(experiment_dir / "checkpoint"))
    return create_tuner_from_config(name, space, class_args, objectives=objectives)


def build_assessor(config: ExperimentConfig) -> Assessor | None:
    """The configured assessor. With objectives it judges the primary objective's curve (intermediate
    dicts are read by that key), in that objective's direction unless classArgs say otherwise."""
    algorithm = config.assessor
    if algorithm is None or not (algorithm.name or algorithm.class_name):
        return None
    objectives = config.objective_spec
    if objectives is not None and algorithm.name:
        args = dict(algorithm.class_args or {})
        given = args.get("optimize_mode")
        primary = objectives.primary
        if isinstance(given, str) and given.lower() != primary.mode:
            raise ConfigError(
                f"assessor.classArgs.optimize_mode: {given!r} contradicts the primary objective's mode {primary.mode!r}; "
                f"the assessor judges the curve of the primary objective {primary.name!r}: delete "
                "optimize_mode or make them agree"
            )
        try:
            return create_assessor_from_config(algorithm.name, {**args, "optimize_mode": primary.mode})
        except ConfigError as exc:
            if "optimize_mode" not in exc.message:
                raise
            # An assessor without a direction (it judges curves some other way): give it the args as written.
    if algorithm.class_name:
        from tunelab.assessors import load_custom_assessor

        code_dir = None if algorithm.code_directory is None else Path(algorithm.code_directory)
        return load_custom_assessor(algorithm.class_name, code_dir, dict(algorithm.class_args or {}))
    return create_assessor_from_config(algorithm.name or "", dict(algorithm.class_args or {}))


def build_runner(config: ExperimentConfig, exp_dir: Path, sink: Any) -> Runner:
    """The runner of the config's platform, from the platform registry (``tunelab.config.get_platform``)."""
    service = config.training_service
    platform = get_platform(getattr(service, "platform", "local") if service is not None else "local")
    runner: Runner = platform.runner_factory()(service, config, exp_dir, sink)
    return runner


def require_gpus(config: ExperimentConfig) -> None:
    """ConfigError (exit 2) when the platform can never give a trial the GPUs it asks for: none at all, or
    ``gpuIndices`` naming GPUs that are not there (each platform's ``gpu_check`` says)."""
    service = config.training_service
    platform = get_platform(getattr(service, "platform", "local") if service is not None else "local")
    problem = platform.gpu_problem(config)
    if problem:
        raise ConfigError(problem)


def _compat_env() -> Mapping[str, str]:
    from tunelab.manager._interpreter import venv_path_env

    env = venv_path_env()  # trials' `python3` is the interpreter running tunelab (its venv, if any)
    try:
        from tunelab.base import trial_environment
    except ImportError:
        return env
    return {**env, **trial_environment()}


def _tuner_seed(config: ExperimentConfig) -> int:
    algorithm = config.tuner
    if algorithm is not None and algorithm.class_args and algorithm.class_args.get("seed") is not None:
        return int(algorithm.class_args["seed"])
    return random.SystemRandom().randrange(2**31)


def _derive(seed: int, salt: int) -> int:
    return (seed * 1_000_003 + salt * 7_919) % (2**31)

