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

from tunelab.base import lazy_attributes
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
    from tunelab.config import AlgorithmConfig, CustomAlgorithmConfig, ExperimentConfig, LocalConfig
    from tunelab.experiment import Experiment


__getattr__ = lazy_attributes(__name__, _LAZY)


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
