"""Tuners: ask/tell algorithms over a read-only history, and the registry of NNI names."""

from tunelab.tuners._base import History, Observation, OptimizeMode, Tuner
from tunelab.tuners._grid_search import GridSearchTuner
from tunelab.tuners._random import RandomTuner
from tunelab.tuners._registry import (
    BUILTIN_TUNERS,
    accepted_class_args,
    create_tuner_from_config,
    resolve_tuner_name,
)
from tunelab.tuners._tpe import TpeArgs, TpeTuner

__all__ = [
    "BUILTIN_TUNERS",
    "GridSearchTuner",
    "History",
    "Observation",
    "OptimizeMode",
    "RandomTuner",
    "TpeArgs",
    "TpeTuner",
    "Tuner",
    "accepted_class_args",
    "create_tuner_from_config",
    "resolve_tuner_name",
]
