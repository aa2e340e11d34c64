"""Tuners: ask/tell algorithms over a read-only history, and the registry of NNI names."""

from tunelab.tuners._anneal import AnnealTuner
from tunelab.tuners._auto import AutoTuner
from tunelab.tuners._base import History, Observation, OptimizeMode, Tuner
from tunelab.tuners._batch import BatchTuner
from tunelab.tuners._custom import NniTunerAdapter, load_custom_tuner
from tunelab.tuners._evolution import EvolutionTuner
from tunelab.tuners._gp import GpTuner
from tunelab.tuners._grid_search import GridSearchTuner
from tunelab.tuners._hyperband import TRIAL_BUDGET, BohbTuner, HyperbandTuner
from tunelab.tuners._inprocess import AskTellTuner, OptimizeResult, Suggestion, create_tuner, optimize
from tunelab.tuners._motpe import MotpeTuner
from tunelab.tuners._nsga2 import Nsga2Tuner
from tunelab.tuners._pbt import PbtTuner
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
    "TRIAL_BUDGET",
    "AnnealTuner",
    "AskTellTuner",
    "AutoTuner",
    "BatchTuner",
    "BohbTuner",
    "EvolutionTuner",
    "GpTuner",
    "GridSearchTuner",
    "History",
    "HyperbandTuner",
    "MotpeTuner",
    "NniTunerAdapter",
    "Nsga2Tuner",
    "Observation",
    "OptimizeMode",
    "OptimizeResult",
    "PbtTuner",
    "RandomTuner",
    "Suggestion",
    "TpeArgs",
    "TpeTuner",
    "Tuner",
    "accepted_class_args",
    "create_tuner",
    "create_tuner_from_config",
    "load_custom_tuner",
    "optimize",
    "resolve_tuner_name",
]
