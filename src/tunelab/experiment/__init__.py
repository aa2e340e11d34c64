"""NNI's Python experiment API on tunelab: ``from tunelab.experiment import Experiment`` (or
``from tunelab import Experiment``) replaces ``from nni.experiment import Experiment``."""

from tunelab.config import AlgorithmConfig, CustomAlgorithmConfig, ExperimentConfig, LocalConfig
from tunelab.experiment._experiment import Experiment, FinalStatus, RunMode
from tunelab.experiment._records import TrialHyperParameters, TrialJob, TrialMetricData, TrialResult

__all__ = [
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "Experiment",
    "ExperimentConfig",
    "FinalStatus",
    "LocalConfig",
    "RunMode",
    "TrialHyperParameters",
    "TrialJob",
    "TrialMetricData",
    "TrialResult",
]
