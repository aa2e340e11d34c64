"""``nni.experiment`` inside a trial: the experiment-side classes, served by tunelab's own (the same
names ``nni.experiment`` exports for HPO; NNI's remote/Kubernetes/AML service configs are not provided)."""

from __future__ import annotations

from tunelab.experiment import (
    AlgorithmConfig,
    CustomAlgorithmConfig,
    Experiment,
    ExperimentConfig,
    LocalConfig,
    RunMode,
    TrialHyperParameters,
    TrialJob,
    TrialMetricData,
    TrialResult,
)

__all__ = [
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "Experiment",
    "ExperimentConfig",
    "LocalConfig",
    "RunMode",
    "TrialHyperParameters",
    "TrialJob",
    "TrialMetricData",
    "TrialResult",
]
