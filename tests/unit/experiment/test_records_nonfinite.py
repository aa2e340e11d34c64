"""The Python ``Experiment`` API gives NaN and infinities back as floats, as NNI's does: the REST API's
marker strings are decoded (docs/json.md)."""

from __future__ import annotations

import math

from tunelab.experiment._records import metric_data, trial_job, trial_result

TRIAL = {"id": "t1", "sequence": 3, "status": "FAILED", "parameters": {"x": 0.5}, "final": "Infinity",
         "final_data": {"default": "Infinity", "loss": "NaN"}, "ended_at": 10.0,
         "intermediate": [{"sequence": 0, "value": "NaN", "data": "NaN", "timestamp": 1.0},
                          {"sequence": 1, "value": 0.5, "data": 0.5, "timestamp": 2.0}]}


def test_metrics_and_finals_are_floats() -> None:
    [final] = trial_job(TRIAL).finalMetricData
    assert final.data["default"] == math.inf
    assert math.isnan(final.data["loss"])
    values = [m.data for m in metric_data(TRIAL)]
    assert math.isnan(values[0])
    assert values[1] == 0.5


def test_exported_values_are_floats() -> None:
    result = trial_result({"parameter": {"x": 0.5}, "value": '"-Infinity"', "trialJobId": "t1"})
    assert result.value == -math.inf
    result = trial_result({"parameter": {"x": 0.5}, "value": {"default": "NaN"}, "trialJobId": "t1"})
    assert math.isnan(result.value["default"])
