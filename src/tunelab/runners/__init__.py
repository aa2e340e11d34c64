"""Runners: start trial commands somewhere (local processes, Dask workers) and report their life."""

from tunelab.runners._channel import MetricChannel, channel_address
from tunelab.runners._dask import DaskRunner, dask_runner_from_config
from tunelab.runners._gpu import GpuInfo, GpuSlots, detect_gpus
from tunelab.runners._local import STDERR, STDOUT, TRIAL_LOG, LocalRunner
from tunelab.runners._protocol import MetricSink, Runner, RunningHandle, TrialExit, TrialLaunch, describe_exit

__all__ = [
    "STDERR",
    "STDOUT",
    "TRIAL_LOG",
    "DaskRunner",
    "GpuInfo",
    "GpuSlots",
    "LocalRunner",
    "MetricChannel",
    "MetricSink",
    "Runner",
    "RunningHandle",
    "TrialExit",
    "TrialLaunch",
    "channel_address",
    "dask_runner_from_config",
    "describe_exit",
    "detect_gpus",
]
