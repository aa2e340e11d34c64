"""Recording a ``TunelabSearchCV`` run as an ordinary tunelab experiment (``experiment=``).

No manager runs: this process is the store's only writer while ``fit`` runs (it holds the experiment's
manager lock, so ``tunelab resume`` cannot start a second writer). Each candidate is one trial: RUNNING
when asked, then its per-fold test scores as intermediate results, the mean as the final result, and
SUCCEEDED (or FAILED when the mean is not finite). ``tunelab view ID``, ``best``, ``export`` and the UI read
it like any experiment.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.base import ConflictError, InvalidInputError
from tunelab.config import parse_config
from tunelab.manager import ManagerLock, experiments_root, validate_experiment_id
from tunelab.storage import (
    DB_FILENAME,
    ExperimentRecord,
    ExperimentStore,
    open_store,
    record_storage,
    recorded_storage,
)
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState
from tunelab.tuners import Suggestion

if TYPE_CHECKING:
    from tunelab.integration.sklearn import TunelabSearchCV

#: What ``tunelab resume`` would run: nothing useful, so it says how to continue instead.
RESUME_COMMAND = (
    "echo 'this experiment was recorded by TunelabSearchCV in Python; run the search again there' >&2; exit 2"
)


def resolve_location(experiment: str | os.PathLike[str]) -> tuple[str, Path, str | None]:
    """``(experiment id, experiment directory, PostgreSQL URL or None)`` for an ``experiment=`` value.

    A bare name of the id alphabet (``"svc-search"``) is an id under ``$TUNELAB_HOME``; a path (a
    ``Path``, or a string with a ``/``) is the experiment directory itself, its name the id; a
    ``postgresql://`` URL keeps the store there under a generated id (the directory, under
    ``$TUNELAB_HOME``, holds the pointer to it).
    """
    text = os.fspath(experiment)
    if isinstance(experiment, str) and text.startswith(_POSTGRES_SCHEMES):
        root = experiments_root()
        exp_id = _new_id(root)
        return exp_id, root / exp_id, text
    if isinstance(experiment, str) and os.sep not in text and "/" not in text and text not in (".", ".."):
        return validate_experiment_id(text), experiments_root() / text, None
    directory = Path(text).expanduser().resolve()
    try:
        return validate_experiment_id(directory.name), directory, None
    except InvalidInputError as exc:
        raise InvalidInputError(f"experiment={text!r}: the directory name becomes the experiment id; "
                                f"{exc.message}") from exc


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _new_id(root: Path) -> str:
    while True:
        candidate = "sk" + secrets.token_hex(3)  # 8 characters, NNI's id length
        if not (root / candidate).exists():
            return candidate


class ExperimentRecorder:
    """Writes one search into one new experiment. Not thread-safe (the search loop calls it from one thread)."""

    def __init__(self, store: ExperimentStore, lock: ManagerLock, exp_dir: Path) -> None:
        self.store = store
        self.lock = lock
        self.exp_dir = exp_dir
        self.experiment_id = store.experiment_id
        self._started = time.monotonic()
        self._trial_ids: dict[int, str] = {}

    @classmethod
    def open(cls, experiment: str | os.PathLike[str], *, search: TunelabSearchCV) -> ExperimentRecorder:
        """Create the experiment. Raises ``ConflictError`` if it exists already (a second ``fit`` needs a
        new id, so that two searches never mix), ``InvalidInputError`` for an unusable location."""
        exp_id, exp_dir, url = resolve_location(experiment)
        if (exp_dir / DB_FILENAME).exists() or recorded_storage(exp_dir) is not None:
            raise ConflictError(f"experiment={os.fspath(experiment)!r}: experiment {exp_id!r} exists already at "
                                f"{exp_dir}; pass a new id or directory (or `tunelab delete {exp_id}`)")
        existed = exp_dir.exists()
        lock = ManagerLock(exp_dir)
        lock.acquire(exp_id)
        try:
            store = open_store(url or exp_dir, exp_id)
            if url:
                record_storage(exp_dir, url)
            store.create_experiment(_record(exp_id, exp_dir, search))
        except BaseException:
            lock.release()
            if not existed:
                shutil.rmtree(exp_dir, ignore_errors=True)
            raise
        return cls(store, lock, exp_dir)

    def started(self, suggestion: Suggestion, estimator_params: Mapping[str, Any]) -> None:
        trial_id = f"t{suggestion.id:04d}"
        self._trial_ids[suggestion.id] = trial_id
        now = time.time()
        self.store.insert_trial(Trial(id=trial_id, sequence=suggestion.id, parameters=suggestion.parameters,
                                      status=TrialState.RUNNING, created_at=now, started_at=now,
                                      extra={"estimator_params": _jsonable(estimator_params)}))

    def finished(self, ident: int, fold_scores: Sequence[float], mean: float | None, message: str) -> None:
        trial_id = self._trial_ids[ident]
        now = time.time()
        with self.store.transaction():
            folds = [Metric(trial_id, MetricKind.PERIODICAL, k, score, score, now)
                     for k, score in enumerate(fold_scores)]
            if folds:
                self.store.add_intermediates(folds)
            if mean is not None:
                self.store.set_final(Metric(trial_id, MetricKind.FINAL, 0, mean, mean, now))
            state = TrialState.SUCCEEDED if mean is not None else TrialState.FAILED
            self.store.update_trial(trial_id, status=state, ended_at=now, message=message)
            self.store.update_experiment(elapsed=time.monotonic() - self._started)

    def close(self, error: str | None = None) -> None:
        """End the experiment (DONE, or ERROR with ``error``), mark trials still running failed, unlock."""
        try:
            now = time.time()
            with self.store.transaction():
                for trial in self.store.list_trials([TrialState.RUNNING]):
                    self.store.update_trial(trial.id, status=TrialState.FAILED, ended_at=now,
                                            message=error or "the search ended before this trial finished")
                self.store.update_experiment(
                    status=ExperimentStatus.ERROR if error else ExperimentStatus.DONE, error=error or "",
                    ended_at=now, elapsed=time.monotonic() - self._started)
        finally:
            self.store.close()
            self.lock.release()


def _record(exp_id: str, exp_dir: Path, search: TunelabSearchCV) -> ExperimentRecord:
    class_args = {"optimize_mode": "maximize", **(search.tuner_args or {})}
    seed = search._seed()
    if seed is not None:
        class_args["seed"] = seed
    raw: dict[str, Any] = {
        "experimentName": f"TunelabSearchCV({type(search.estimator).__name__})",
        "searchSpace": search.space,
        "trialCommand": RESUME_COMMAND,
        "trialCodeDirectory": os.getcwd(),
        "trialConcurrency": search._batch_size(),
        "maxTrialNumber": search.n_trials,
        "tuner": {"name": search.tuner, "classArgs": class_args},
        "trainingService": {"platform": "local"},
    }
    if search.timeout is not None:
        raw["maxExperimentDuration"] = f"{max(1, round(search.timeout))}s"
    now = time.time()
    return ExperimentRecord(
        id=exp_id, name=raw["experimentName"], config=parse_config(raw).to_dict(),
        status=ExperimentStatus.RUNNING, created_at=now, run_started_at=now,
        extra={"experiment_dir": str(exp_dir), "recorded_by": "tunelab.integration.sklearn.TunelabSearchCV",
               "estimator": repr(search.estimator), "scoring": repr(search.scoring),
               "cv": repr(search.cv), **({"tuner_seed": seed} if seed is not None else {})},
    )


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    # Estimator parameters are JSON values taken from the space, except numpy scalars a tuner may return.
    return {key: value.item() if hasattr(value, "item") else value for key, value in params.items()}
