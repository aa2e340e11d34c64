"""The API a trial process uses. Imports only the standard library and ``tunelab.base``."""

from tunelab.trial_api._api import (
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
)
from tunelab.trial_api._stop import claim_sigterm, should_stop

__all__ = [
    "claim_sigterm",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
    "should_stop",
]
