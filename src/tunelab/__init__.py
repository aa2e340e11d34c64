"""tunelab: the hyperparameter-tuning lab (NNI-compatible).

Inside a training script::

    import tunelab
    params = tunelab.get_next_parameter()
    tunelab.report_intermediate_result(acc)   # each epoch
    tunelab.report_final_result(acc)

``import tunelab`` stays light for trial processes: the experiment, tuner and server APIs below are loaded
on first use only (a test pins that importing tunelab pulls in neither numpy nor the server).
"""

from __future__ import annotations

from tunelab.trial_api import (
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
    should_stop,
)

__version__ = "0.1.0"

# name -> module that defines it; resolved lazily by __getattr__ so trials never pay for them.
_LAZY = {
    "Experiment": "tunelab.experiment",
    "ExperimentConfig": "tunelab.config",
    "AlgorithmConfig": "tunelab.config",
    "CustomAlgorithmConfig": "tunelab.config",
    "LocalConfig": "tunelab.config",
    "create_tuner": "tunelab.tuners",
    "optimize": "tunelab.tuners",
}

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs trials ~10 ms
if TYPE_CHECKING:
    from typing import Any

    from tunelab.config import AlgorithmConfig, CustomAlgorithmConfig, ExperimentConfig, LocalConfig
    from tunelab.experiment import Experiment


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'tunelab' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


__all__ = [
    "AlgorithmConfig",
    "CustomAlgorithmConfig",
    "Experiment",
    "ExperimentConfig",
    "LocalConfig",
    "__version__",
    "create_tuner",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "optimize",
    "report_final_result",
    "report_intermediate_result",
    "should_stop",
]
