"""The experiment configuration: NNI v2 YAML/JSON (case- and underscore-insensitive keys), v1 conversion,
and NNI's Python attribute API (``ExperimentConfig('local')``, ``config.tuner.name = 'TPE'``)."""

from tunelab.config._algorithm import AlgorithmConfig, CustomAlgorithmConfig
from tunelab.config._base import ConfigBase
from tunelab.config._duration import parse_duration
from tunelab.config._experiment import LOG_LEVELS, MAX_TRIAL_CONCURRENCY, ExperimentConfig
from tunelab.config._fields import Invalid, spec
from tunelab.config._loader import ConfigWarning, load_config, parse_config
from tunelab.config._mlflow import DEFAULT_MLFLOW_EXPERIMENT, MlflowConfig
from tunelab.config._platforms import Platform, get_platform, platform_names, register_platform
from tunelab.config._training_service import DaskConfig, LocalConfig, TrainingServiceConfig
from tunelab.config._v1 import convert_v1

__all__ = [
    "DEFAULT_MLFLOW_EXPERIMENT",
    "LOG_LEVELS",
    "MAX_TRIAL_CONCURRENCY",
    "AlgorithmConfig",
    "ConfigBase",
    "ConfigWarning",
    "CustomAlgorithmConfig",
    "DaskConfig",
    "ExperimentConfig",
    "Invalid",
    "LocalConfig",
    "MlflowConfig",
    "Platform",
    "TrainingServiceConfig",
    "convert_v1",
    "get_platform",
    "load_config",
    "parse_config",
    "parse_duration",
    "platform_names",
    "register_platform",
    "spec",
]
