"""The built-in platforms' runner factories and GPU checks, named by the platform registry
(:mod:`tunelab.config._platforms`): ``factory(service, config, experiment_dir, sink)`` and
``check(config) -> str | None``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelab.runners._dask import DaskRunner, dask_runner_from_config
from tunelab.runners._gpu import GpuSlots, gpu_request_problem
from tunelab.runners._local import LocalRunner
from tunelab.runners._protocol import MetricSink


def local_runner(service: Any, config: Any, experiment_dir: Path, sink: MetricSink) -> LocalRunner:
    """``platform: local``: trials as process groups here, GPUs handed out by slot when trials ask for them."""
    slots = None
    if config.trial_gpu_number:
        slots = GpuSlots(
            gpu_indices=gpu_indices(getattr(service, "gpu_indices", None)),
            max_trials_per_gpu=int(getattr(service, "max_trial_number_per_gpu", 1) or 1),
            use_active_gpu=bool(getattr(service, "use_active_gpu", False)),
        )
    return LocalRunner(experiment_dir, sink, gpu_slots=slots)


def dask_runner(service: Any, config: Any, experiment_dir: Path, sink: MetricSink) -> DaskRunner:
    """``platform: dask``: trials on the workers of a Dask cluster (a local one when no scheduler is set)."""
    return dask_runner_from_config(service, experiment_dir, sink, gpu_number=config.trial_gpu_number)


def local_gpu_problem(config: Any) -> str | None:
    service = config.training_service
    return gpu_request_problem(config.trial_gpu_number, gpu_indices(getattr(service, "gpu_indices", None)))


def dask_gpu_problem(config: Any) -> str | None:
    if getattr(config.training_service, "scheduler_address", None):
        return None  # a remote cluster's GPUs are checked when it is reached
    problem = gpu_request_problem(config.trial_gpu_number, None)
    return problem and f"{problem} (the local Dask cluster offers this machine's GPUs)"


def gpu_indices(value: Any) -> list[int] | None:
    """``gpuIndices`` as a list: NNI accepts an int, a ``"0,1"`` string or a list."""
    if value is None:
        return None
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return [int(part) for part in value.split(",") if part.strip()]
    return [int(v) for v in value]
