"""``ExperimentConfig``: every key of NNI's v2 experiment config, plus tunelab's ``maxTrialRetries``,
``failFastTrials``, ``storage``, ``trialGracePeriod`` and ``mlflow``. The dataclass fields below are the key table (one row per key: type, default, check, fix)."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import field
from pathlib import Path
from typing import Any

from tunelab.base import ConfigError, SearchSpaceError, decode_text, yaml_load
from tunelab.config._algorithm import AlgorithmConfig, load_algorithm
from tunelab.config._base import ConfigBase, join_problems
from tunelab.config._duration import parse_duration
from tunelab.config._fields import (
    Invalid,
    anything,
    boolean,
    bounded_text,
    choice,
    duration,
    existing_file,
    gpu_indices,
    integer,
    mapping,
    nonempty_text,
    path_like,
    show,
    spec,
    text,
)
from tunelab.config._mlflow import MlflowConfig, load_mlflow
from tunelab.config._training_service import (
    LocalConfig,
    TrainingServiceConfig,
    load_training_service,
)
from tunelab.objectives import ObjectiveSpec, parse_objectives

#: failFastTrials when the config does not set it: three failures in a row, none worked, stop the run.
DEFAULT_FAIL_FAST_TRIALS = 3
LOG_LEVELS = ("trace", "debug", "info", "warning", "error", "fatal")
# More trials at once than any one manager can hold: each is a process (or a Dask task) with open files and a
# metric channel. A typo of extra digits is refused here rather than launching thousands of processes.
MAX_TRIAL_CONCURRENCY = 1000
#: The longest experimentName: Rich wraps long words in quadratic time and every list shows the name.
MAX_NAME_LENGTH = 256
STORAGE_SCHEMES = ("postgresql://", "postgres://")
_DURATION_FIX = 'write seconds or a number with s, m, h or d, e.g. "30m" or "0.5h"'


def _only_false(value: Any) -> bool:
    if boolean(value):
        raise Invalid("is not supported (NNI 3.0 dropped annotations too)")
    return False


def _storage_url(value: Any) -> str:
    if not isinstance(value, str) or not value.lower().startswith(STORAGE_SCHEMES):
        raise Invalid("must be a PostgreSQL URL starting with postgresql://")
    return value


def _objectives(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)) or not value:
        raise Invalid("must be a non-empty list of objectives")
    try:
        spec = parse_objectives(value)
    except ConfigError as exc:
        # The entry's own message names the entry (objectives[1].mode) and its fix.
        raise Invalid(f"has a bad entry: {exc.message}") from exc
    assert spec is not None  # None never reaches a check
    return spec.to_list()


def _tuner(value: Any) -> AlgorithmConfig:
    return _algorithm(value, "tuner")


def _assessor(value: Any) -> AlgorithmConfig:
    return _algorithm(value, "assessor")


def _advisor(value: Any) -> AlgorithmConfig:
    return _algorithm(value, "advisor")


def _algorithm(value: Any, where: str) -> AlgorithmConfig:
    try:
        return load_algorithm(value, where=where, base_dir=None)
    except ConfigError as exc:
        raise Invalid(f"must be an algorithm config ({exc.message})") from exc


def _mlflow(value: Any) -> MlflowConfig:
    try:
        return load_mlflow(value, where="mlflow", base_dir=None)
    except ConfigError as exc:
        raise Invalid(f"must be an MLflow config ({exc.message})") from exc


def _training_service(value: Any) -> TrainingServiceConfig:
    try:
        return load_training_service(value, where="trainingService", base_dir=None)
    except ConfigError as exc:
        raise Invalid(f"must be a training service config ({exc.message})") from exc


@dataclasses.dataclass(init=False, eq=False)
class ExperimentConfig(ConfigBase):
    """A mutable experiment configuration with snake_case attributes (camelCase in YAML and ``to_dict``).

    ``ExperimentConfig('local')`` (or :meth:`for_platform`) gives the placeholder form of NNI's Python API:
    ``config.tuner.name = 'TPE'`` and ``config.tuner.class_args['optimize_mode'] = 'maximize'`` work.
    Keyword arguments take snake_case or camelCase names; relative paths in them resolve against the
    current directory. Nothing is checked until :meth:`validate`.
    """

    experiment_name: str | None = field(  # bounded: stored in every record, shown by list and show
        default=None,
        metadata=spec(check=bounded_text(MAX_NAME_LENGTH), fix="write a short name, e.g. experimentName: mnist-tpe"),
    )
    experiment_type: str = field(
        default="hpo",
        metadata=spec(
            check=choice("hpo"), fix="tunelab runs hyperparameter tuning only; write experimentType: hpo"
        ),
    )
    search_space_file: str | os.PathLike[str] | None = field(
        default=None,
        metadata=spec(
            check=existing_file,
            path=True,
            fix="check the path; relative paths are resolved against the config file's directory",
        ),
    )
    search_space: dict[str, Any] | None = field(
        default=None,
        metadata=spec(
            check=mapping,
            fix="write searchSpace as a mapping, e.g. {lr: {_type: loguniform, _value: [1e-4, 0.1]}}",
        ),
    )
    trial_command: str | None = field(
        default=None,
        metadata=spec(
            check=nonempty_text,
            required=True,
            fix="set the command that runs one trial, e.g. trialCommand: python3 train.py",
        ),
    )
    trial_code_directory: str | os.PathLike[str] = field(
        default=".",
        metadata=spec(
            # Existence is checked in _code_directory_problems: on a Dask cluster the folder must exist
            # on the workers, not necessarily here.
            check=path_like,
            path=True,
            fix="trialCodeDirectory is the folder the trial command runs in; relative paths are resolved "
            "against the config file's directory",
        ),
    )
    trial_concurrency: int | None = field(
        default=None,
        metadata=spec(
            check=integer(1, MAX_TRIAL_CONCURRENCY),
            required=True,
            fix="set how many trials run at once, e.g. trialConcurrency: 2",
        ),
    )
    trial_gpu_number: int | None = field(
        default=None,
        metadata=spec(
            check=integer(0), fix="set the GPUs each trial needs, e.g. trialGpuNumber: 1 (0 hides all GPUs)"
        ),
    )
    max_experiment_duration: str | int | float | None = field(
        default=None, metadata=spec(check=duration, fix=_DURATION_FIX)
    )
    max_trial_number: int | None = field(
        default=None,
        metadata=spec(
            check=integer(1), fix="set a positive trial budget, e.g. maxTrialNumber: 100, or remove the key"
        ),
    )
    max_trial_duration: str | int | float | None = field(
        default=None, metadata=spec(check=duration, fix=_DURATION_FIX)
    )
    # Not in NNI (it kills at once): how long a stopped trial gets between SIGTERM and SIGKILL, so a script
    # that polls tunelab.should_stop() can finish its epoch and write a checkpoint.
    trial_grace_period: str | int | float = field(
        default="5s", metadata=spec(check=duration, fix=_DURATION_FIX)
    )
    max_trial_retries: int = field(
        default=0,
        metadata=spec(check=integer(0), fix="set how often a failed trial is rerun, e.g. maxTrialRetries: 1"),
    )
    fail_fast_trials: int | None = field(
        default=None,
        metadata=spec(
            check=integer(0),
            fix="set after how many failed first trials (none succeeded) the experiment stops, e.g. "
            "failFastTrials: 3, or failFastTrials: 0 to never stop",
        ),
    )
    nni_manager_ip: str | None = field(
        default=None, metadata=spec(check=text, fix="write an IP address, e.g. nniManagerIp: 10.0.0.2")
    )
    use_annotation: bool = field(
        default=False,
        metadata=spec(
            check=_only_false,
            fix="remove useAnnotation and write the search space in searchSpace or searchSpaceFile",
        ),
    )
    debug: bool = field(default=False, metadata=spec(check=boolean, fix="write debug: true or debug: false"))
    log_level: str | None = field(
        default=None,
        metadata=spec(check=choice(*LOG_LEVELS), fix="write e.g. logLevel: info"),
    )
    experiment_working_directory: str | os.PathLike[str] | None = field(
        default=None,
        metadata=spec(
            check=path_like,
            path=True,
            fix="write a folder, e.g. experimentWorkingDirectory: ~/tunelab-experiments",
        ),
    )
    storage: str | None = field(
        default=None,
        metadata=spec(
            check=_storage_url,
            fix='write e.g. storage: "postgresql://user:password@host:5432/tunelab", or remove it to use SQLite',
        ),
    )
    tuner_gpu_indices: list[int] | None = field(
        default=None,
        metadata=spec(
            check=gpu_indices,
            fix='list GPUs for the tuner, e.g. tunerGpuIndices: [0] or tunerGpuIndices: "0,1"',
        ),
    )
    # tunelab-only: NNI optimises one number. Each entry names a key of the trial's final dict.
    objectives: list[dict[str, Any]] | None = field(
        default=None,
        metadata=spec(
            check=_objectives,
            fix="each name is a key of the dict the trial passes to report_final_result, e.g. objectives: "
            "[{name: accuracy, mode: maximize}, {name: latency_ms, mode: minimize, constraint: '<= 20'}]",
        ),
    )
    # Optional, unlike NNI: without one the manager uses the Auto tuner, which picks per search space.
    tuner: AlgorithmConfig | None = field(
        default=None,
        metadata=spec(
            check=_tuner,
            nested=load_algorithm,
            fix="set e.g. tuner: {name: TPE, classArgs: {optimize_mode: maximize}}, or leave it out for Auto",
        ),
    )
    assessor: AlgorithmConfig | None = field(
        default=None,
        metadata=spec(check=_assessor, nested=load_algorithm, fix="set e.g. assessor: {name: Medianstop}"),
    )
    advisor: AlgorithmConfig | None = field(
        default=None,
        metadata=spec(
            check=_advisor,
            nested=load_algorithm,
            fix="advisor is deprecated: write the same mapping under tuner",
        ),
    )
    training_service: TrainingServiceConfig | None = field(
        default=None,
        metadata=spec(
            check=_training_service,
            nested=load_training_service,
            required=True,
            fix="set e.g. trainingService: {platform: local}",
        ),
    )
    # Not in NNI: log trials to MLflow (tunelab.manager._mlflow); the trial script does not change.
    mlflow: MlflowConfig | None = field(
        default=None,
        metadata=spec(
            check=_mlflow,
            nested=load_mlflow,
            fix='write e.g. mlflow: {trackingUri: "http://127.0.0.1:5000", experimentName: mnist}, or mlflow: {} '
            "for a SQLite store in the experiment folder",
        ),
    )
    shared_storage: dict[str, Any] | None = field(
        default=None,
        compare=False,
        metadata=spec(check=anything, fix="remove sharedStorage: tunelab ignores it", dump=False),
    )
    #: The v2 YAML equivalent of a v1 file this config was converted from (for the CLI to print), else None.
    converted_from_v1_yaml: str | None = field(default=None, compare=False, repr=False)

    def __init__(self, training_service_platform: str | None = None, **kwargs: Any) -> None:
        for each in dataclasses.fields(self):
            factory = each.default_factory
            default = factory() if factory is not dataclasses.MISSING else each.default
            object.__setattr__(self, each.name, default)
        if training_service_platform is not None:
            self.training_service = load_training_service(
                training_service_platform, where="trainingService", base_dir=None
            )
            self.tuner = AlgorithmConfig()  # placeholder for config.tuner.name = ...
        for name, value in self._load_fields(kwargs, where="", base_dir=None).items():
            setattr(self, name, value)

    @classmethod
    def for_platform(cls, platform: str = "local") -> ExperimentConfig:
        """The placeholder form: training service ``platform`` and an empty tuner to fill in."""
        return cls(platform)

    # --- validation ---------------------------------------------------------------------------------

    def validate(self) -> None:
        """Check every rule and normalize in place (absolute paths, lists of GPU indices, lower-case names).

        Raises :class:`ConfigError` listing every problem, each naming the camelCase key, the value, the
        rule and the fix. Moves a deprecated ``advisor`` into ``tuner``.
        """
        problems = self._move_advisor()
        problems += self.problems("")
        if problems:
            raise ConfigError(join_problems(problems))

    def _move_advisor(self) -> list[str]:
        if self.advisor is None:
            return []
        tuner = self.tuner
        if tuner is not None and (tuner.name is not None or tuner.class_name is not None):
            return [
                "advisor: deprecated and cannot be combined with tuner, got both; "
                "delete advisor or move its settings under tuner"
            ]
        self.tuner, self.advisor = self.advisor, None
        return []

    def _cross_problems(self, where: str) -> list[str]:
        return self._code_directory_problems() + self._search_space_problems() + self._gpu_problems()

    def _code_directory_problems(self) -> list[str]:
        directory = os.fspath(self.trial_code_directory)
        if os.path.isdir(directory):
            return []
        from tunelab.config._platforms import get_platform

        platform = get_platform(getattr(self.training_service, "platform", "local"))
        if not platform.code_is_local:
            import warnings

            from tunelab.config._loader import ConfigWarning

            warnings.warn(
                f"trialCodeDirectory {directory!r} does not exist on this machine; every {platform.name} worker "
                "must have it at that path (a trial on a worker without it fails with a clear message)",
                ConfigWarning,
                stacklevel=4,
            )
            return []
        return [
            f"trialCodeDirectory: directory not found, got {show(directory)}; trialCodeDirectory is the folder "
            "the trial command runs in; relative paths are resolved against the config file's directory"
        ]

    def _search_space_problems(self) -> list[str]:
        from tunelab.space import load_search_space, parse_search_space

        if self.search_space is not None and self.search_space_file is not None:
            return [
                f"searchSpace, searchSpaceFile: give one of them, got both (searchSpaceFile="
                f"{os.fspath(self.search_space_file)!r}); remove searchSpace or searchSpaceFile"
            ]
        try:
            if isinstance(self.search_space, dict):
                parse_search_space(self.search_space, where="searchSpace")
            elif self.search_space_file is not None:
                if os.path.isfile(self.search_space_file):  # a missing file is reported by its field check
                    load_search_space(Path(self.search_space_file))
            elif self.search_space is None:
                return [
                    "searchSpace: required, but neither searchSpace nor searchSpaceFile is set; add "
                    "searchSpaceFile: search_space.json or an inline searchSpace mapping"
                ]
        except SearchSpaceError as exc:
            return [exc.message]
        return []

    def _gpu_problems(self) -> list[str]:
        service, gpus = self.training_service, self.trial_gpu_number
        if not isinstance(service, LocalConfig):
            return []
        found = []
        if isinstance(gpus, int) and gpus > 0 and service.use_active_gpu is None:
            found.append(
                f"trainingService.useActiveGpu: must be set when trialGpuNumber > 0, got None "
                f"(trialGpuNumber={gpus}); set useActiveGpu: false to skip GPUs in use by other processes, "
                "or true to share them (needed on desktops, where the display holds a GPU)"
            )
        if gpus is None and service.max_trial_number_per_gpu != 1:
            found.append(
                f"trainingService.maxTrialNumberPerGpu: needs trialGpuNumber, got "
                f"{service.max_trial_number_per_gpu!r} without trialGpuNumber; set trialGpuNumber "
                "(e.g. 1) or remove maxTrialNumberPerGpu"
            )
        return found

    # --- derived values -----------------------------------------------------------------------------

    @property
    def max_experiment_duration_s(self) -> float | None:
        """``maxExperimentDuration`` in seconds, or None when unlimited. Raises ConfigError if malformed."""
        return _seconds(self.max_experiment_duration, "maxExperimentDuration")

    @property
    def max_trial_duration_s(self) -> float | None:
        """``maxTrialDuration`` in seconds, or None when unlimited. Raises ConfigError if malformed."""
        return _seconds(self.max_trial_duration, "maxTrialDuration")

    @property
    def objective_spec(self) -> ObjectiveSpec | None:
        """The parsed ``objectives`` (None for a single-objective experiment)."""
        return parse_objectives(self.objectives)

    @property
    def trial_grace_period_s(self) -> float:
        """``trialGracePeriod`` in seconds: SIGTERM to SIGKILL when a trial is stopped. Raises ConfigError."""
        return parse_duration(self.trial_grace_period, field="trialGracePeriod")

    @property
    def fail_fast_threshold(self) -> int | None:
        """How many trials must fail, none having worked, before the experiment stops (None: never).

        ``failFastTrials`` when set (0 disables), else 3, or ``maxTrialNumber`` when that is smaller.
        """
        if self.fail_fast_trials is not None:
            return self.fail_fast_trials or None
        return min(DEFAULT_FAIL_FAST_TRIALS, self.max_trial_number or DEFAULT_FAIL_FAST_TRIALS)

    def resolved_search_space(self) -> dict[str, Any]:
        """The search space as a dict: the inline one, or the file parsed as JSON with a YAML fallback."""
        if self.search_space is not None:
            return copy.deepcopy(self.search_space)
        if self.search_space_file is None:
            raise ConfigError(
                "searchSpace: required, but neither searchSpace nor searchSpaceFile is set; add "
                "searchSpaceFile: search_space.json or an inline searchSpace mapping"
            )
        return read_search_space_file(self.search_space_file)

    def resolved_working_directory(self) -> Path:
        """Where experiments live: this config's value, else ``$TUNELAB_HOME``, else ``~/tunelab-experiments``."""
        chosen = (
            self.experiment_working_directory or os.environ.get("TUNELAB_HOME") or "~/tunelab-experiments"
        )
        return Path(os.path.expanduser(os.fspath(chosen))).absolute()

    # --- copies and dumps ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Canonical camelCase JSON-able dict with the search space inlined and every path absolute.

        ``parse_config(config.to_dict())`` rebuilds an equal config (the manager stores this dict and
        resume rebuilds from it). Raises :class:`ConfigError` if the search space file cannot be read.
        """
        out = super().to_dict()
        if "searchSpaceFile" in out:
            space = self.resolved_search_space()
            out = {
                ("searchSpace" if key == "searchSpaceFile" else key): (
                    space if key == "searchSpaceFile" else v
                )
                for key, v in out.items()
            }
        if self.training_service is not None:
            platform = type(self.training_service).platform  # type: ignore[attr-defined]
            out["trainingService"] = {"platform": platform, **out["trainingService"]}
        return out

    def __eq__(self, other: object) -> bool:
        # Equality is equality of the canonical dict: a config read from a search space file equals the
        # one rebuilt from its to_dict() (inline space), which is what resume relies on.
        if not isinstance(other, ExperimentConfig):
            return NotImplemented
        return self._comparable() == other._comparable()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _comparable(self) -> dict[str, Any]:
        try:
            return self.to_dict()
        except ConfigError:  # unreadable search space file: compare by its path instead
            return super().to_dict()

    def copy(self) -> ExperimentConfig:
        """A deep copy: changing the copy (including ``tuner.class_args``) never touches this config."""
        return copy.deepcopy(self)


def _seconds(value: Any, field: str) -> float | None:
    return None if value is None else parse_duration(value, field=field)


def read_search_space_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a search space file as JSON, falling back to YAML (as NNI does). Raises ConfigError."""
    import yaml

    where = os.fspath(path)
    try:
        raw = Path(os.path.expanduser(where)).read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"searchSpaceFile: cannot read {where!r} ({exc.strerror}); check the path and permissions"
        ) from exc
    text_ = decode_text(raw, f"searchSpaceFile {where!r}", ConfigError)
    try:
        data = json.loads(text_)
    except json.JSONDecodeError:
        try:
            data = yaml_load(text_, f"searchSpaceFile {where!r}", ConfigError)
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"searchSpaceFile: {where!r} is neither JSON nor YAML ({exc}); fix the syntax"
            ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"searchSpaceFile: {where!r} must hold a mapping of parameter names, got {type(data).__name__}; "
            'write e.g. {"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}}'
        )
    return data
