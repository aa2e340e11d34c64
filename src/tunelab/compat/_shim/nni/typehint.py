"""``nni.typehint``: the types NNI 3.0 names for static checking (same definitions)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

try:
    from typing import NotRequired
except ImportError:  # Python 3.10
    from typing_extensions import NotRequired

__all__ = ["ParameterRecord", "Parameters", "SearchSpace", "TrialMetric", "TrialRecord"]

Parameters = dict[str, Any]


class _ParameterSearchSpace(TypedDict):
    _type: Literal["choice", "randint", "uniform", "loguniform", "quniform", "qloguniform",
                   "normal", "lognormal", "qnormal", "qlognormal"]
    _value: list[Any]


SearchSpace = dict[str, _ParameterSearchSpace]
TrialMetric = float


class TrialRecord(TypedDict):
    parameter: Parameters
    value: TrialMetric


class ParameterRecord(TypedDict):
    parameter_id: int | None
    parameters: Parameters
    parameter_source: NotRequired[Literal["algorithm", "customized", "resumed"]]
    parameter_index: NotRequired[int]
    trial_job_id: NotRequired[str]
