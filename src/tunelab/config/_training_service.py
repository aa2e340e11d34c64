"""``trainingService``: where trials run. tunelab runs ``local`` (processes here) and ``dask`` (a cluster);
other packages add platforms through the registry (:mod:`tunelab.config._platforms`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any, ClassVar

from tunelab.base import ConfigError
from tunelab.config._base import ConfigBase
from tunelab.config._fields import Invalid, boolean, gpu_indices, integer, nonempty_text, norm_key, spec
from tunelab.config._platforms import Platform, get_platform, platform_names, register_platform


@dataclasses.dataclass
class LocalConfig(ConfigBase):
    """Trials as processes on this machine. GPU rules follow NNI (see ``ExperimentConfig.validate``)."""

    platform: ClassVar[str] = "local"

    use_active_gpu: bool | None = field(
        default=None,
        metadata=spec(
            check=boolean,
            fix="set useActiveGpu: false to skip GPUs that other processes use, or true to share them "
            "(needed on desktops, where the display holds a GPU)",
        ),
    )
    max_trial_number_per_gpu: int = field(
        default=1,
        metadata=spec(
            check=integer(1), fix="set how many trials may share one GPU, e.g. maxTrialNumberPerGpu: 2"
        ),
    )
    gpu_indices: list[int] | None = field(
        default=None,
        metadata=spec(
            check=gpu_indices,
            fix='list the GPUs trials may use, e.g. gpuIndices: [0, 1] or gpuIndices: "0,1"',
        ),
    )
    reuse_mode: bool = field(
        default=False, metadata=spec(check=boolean, fix="write reuseMode: false (it has no effect on local)")
    )


def _resources(value: Any) -> dict[str, float]:
    rule = "must map resource names to amounts >= 0, e.g. {GPU: 1}"
    if not isinstance(value, Mapping):
        raise Invalid(rule)
    for key, amount in value.items():
        if not isinstance(key, str) or isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise Invalid(rule)
        if amount < 0:
            raise Invalid(rule)
    return {key: float(amount) for key, amount in value.items()}


@dataclasses.dataclass
class DaskConfig(ConfigBase):
    """Trials on a Dask cluster: an existing scheduler, or a local cluster of ``n_workers`` when unset."""

    platform: ClassVar[str] = "dask"

    scheduler_address: str | None = field(
        default=None,
        metadata=spec(
            check=nonempty_text,
            fix='give the scheduler address, e.g. schedulerAddress: "tcp://10.0.0.5:8786", or leave it unset '
            "to start a local cluster",
        ),
    )
    n_workers: int = field(
        default=2, metadata=spec(check=integer(1), fix="set the size of the local cluster, e.g. nWorkers: 4")
    )
    threads_per_worker: int = field(
        default=1, metadata=spec(check=integer(1), fix="set e.g. threadsPerWorker: 1")
    )
    resources: dict[str, float] | None = field(
        default=None,
        metadata=spec(
            check=_resources,
            fix="write worker resources a trial needs as a mapping, e.g. resources: {GPU: 1}",
        ),
    )


#: A registered platform's ``trainingService`` section (a ``ConfigBase`` with a ``platform`` class variable).
TrainingServiceConfig = ConfigBase

register_platform(Platform("local", LocalConfig, "tunelab.runners._platforms:local_runner",
                           gpu_check="tunelab.runners._platforms:local_gpu_problem"))
# Workers may be other machines: a trialCodeDirectory missing here is a warning, not an error.
register_platform(Platform("dask", DaskConfig, "tunelab.runners._platforms:dask_runner", code_is_local=False,
                           gpu_check="tunelab.runners._platforms:dask_gpu_problem"))


def platform_class(platform: Any, *, where: str) -> type[ConfigBase]:
    """The config class of ``platform``; :class:`ConfigError` naming the registered platforms otherwise."""
    config_class: type[ConfigBase] = get_platform(platform, where=where).config_class
    return config_class


def load_training_service(value: Any, *, where: str, base_dir: Path | None) -> TrainingServiceConfig:
    """Build a training-service config from a mapping with ``platform``, a platform name or an instance."""
    if isinstance(value, ConfigBase) and isinstance(getattr(type(value), "platform", None), str):
        get_platform(type(value).platform, where=f"{where}.platform")  # type: ignore[attr-defined]  # a config object of a registered platform
        return value
    if isinstance(value, str):
        return platform_class(value, where=f"{where}.platform")()
    if isinstance(value, list):
        if len(value) == 1:  # a one-element "hybrid" list is just that service
            return load_training_service(value[0], where=where, base_dir=base_dir)
        raise ConfigError(
            f"{where}: hybrid training services (a list) are not supported, got {len(value)} services; "
            f"give one mapping with platform: {' or '.join(platform_names())}"
        )
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: must be a mapping, got {value!r:.80}; write e.g. {where}: {{platform: local}}"
        )
    rest = {k: v for k, v in value.items() if not (isinstance(k, str) and norm_key(k) == "platform")}
    if len(rest) == len(value):
        raise ConfigError(f"{where}.platform: required, but not set; write e.g. {where}: {{platform: local}}")
    platform = next(v for k, v in value.items() if isinstance(k, str) and norm_key(k) == "platform")
    cls = platform_class(platform, where=f"{where}.platform")
    return cls(**cls._load_fields(rest, where=where + ".", base_dir=base_dir))
