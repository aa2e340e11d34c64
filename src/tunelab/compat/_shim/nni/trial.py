"""NNI's trial functions (``nni/trial.py`` names) on top of ``tunelab.trial_api``.

Semantics follow NNI 3.0 (reference §1): outside an experiment ``get_next_parameter()`` warns once and
returns ``{}``, the ids are ``'STANDALONE'`` and the sequence id ``0``; reports accept a number or a dict
with a numeric ``'default'``; the first final result wins.
"""

from __future__ import annotations

import tunelab_nni_bridge as _bridge
from nni.typehint import ParameterRecord, Parameters, TrialMetric

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

_api = _bridge.trial_api()

get_next_parameter = _api.get_next_parameter
get_next_parameters = _api.get_next_parameters
get_current_parameter = _api.get_current_parameter
report_intermediate_result = _api.report_intermediate_result
report_final_result = _api.report_final_result
get_experiment_id = _api.get_experiment_id
get_trial_id = _api.get_trial_id
get_sequence_id = _api.get_sequence_id


class NoMoreTrialError(Exception):
    """Raised by tuners that have nothing left to propose (NNI's name)."""


def overwrite_intermediate_seq(value: int) -> None:
    """Reset the sequence number of the next intermediate result (NNI's semi-public helper)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"overwrite_intermediate_seq: needs a non-negative int, got {value!r}")
    from tunelab.trial_api import _api as session_api

    session_api._current().intermediate_seq = value


def dump(obj: Any, **kwargs: Any) -> str:
    """JSON text of ``obj`` (numpy scalars become numbers), standing in for NNI's json_tricks ``dump``."""
    import json

    from tunelab.base import jsonable_metric

    return json.dumps(jsonable_metric(obj), **kwargs)


def load(string: str | None = None, **kwargs: Any) -> Any:
    """Inverse of :func:`dump`; also accepts ``fp=`` like NNI."""
    import json

    from tunelab.base import json_decode

    handle = kwargs.pop("fp", None)
    value = json.load(handle, **kwargs) if handle is not None else json.loads(string or "null", **kwargs)
    return json_decode(value)  # dump() writes NaN and infinities as marker strings


def trace(obj: T, *args: Any, **kwargs: Any) -> T:
    """NNI's ``trace`` records constructor arguments for NAS; HPO trials need none of it: identity."""
    del args, kwargs
    return obj


def silence_stdout() -> None:
    """NNI stops printing its own log to stdout; the shim prints none, so there is nothing to silence."""


def enable_global_logging(enable: bool = True) -> None:
    """Accepted for compatibility; the shim does not touch logging configuration."""
    del enable


__all__ = [
    "NoMoreTrialError",
    "ParameterRecord",
    "Parameters",
    "TrialMetric",
    "dump",
    "enable_global_logging",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_next_parameters",
    "get_sequence_id",
    "get_trial_id",
    "load",
    "overwrite_intermediate_seq",
    "report_final_result",
    "report_intermediate_result",
    "silence_stdout",
    "trace",
]
