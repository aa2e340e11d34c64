"""The pure tunelab -> MLflow mappings (no MLflow needed)."""

from __future__ import annotations

import math

from tunelab.manager import _mlflow_map as m


def test_a_dict_result_gives_the_scalar_and_its_other_numeric_keys() -> None:
    data = {"default": 0.9, "loss": 0.1, "epochs": 3, "ok": True, "label": "x", "nan": math.nan, "a b/c?": 2.0}
    assert dict(m.numeric_items("final", 0.9, data)) == {
        "final": 0.9, "final.loss": 0.1, "final.epochs": 3.0, "final.a b/c_": 2.0}


def test_a_non_finite_scalar_is_left_out() -> None:
    assert list(m.numeric_items("intermediate", "NaN", "NaN")) == []
    assert list(m.numeric_items("intermediate", math.inf, math.inf)) == []
    assert list(m.numeric_items("intermediate", 1, 1)) == [("intermediate", 1.0)]


def test_params_flatten_nested_choices_and_keep_lists_as_json() -> None:
    params = {"lr": 0.01, "opt": {"_name": "sgd", "momentum": 0.9}, "layers": [64, 32], "act": "relu"}
    assert m.flat_params(params) == {"lr": "0.01", "opt._name": "sgd", "opt.momentum": "0.9",
                                     "layers": "[64, 32]", "act": "relu"}
    assert len(m.flat_params({"long": "x" * 10_000})["long"]) == m.PARAM_VALUE_MAX


def test_experiment_params_hold_the_space_the_tuner_and_the_scalar_keys() -> None:
    config = {"searchSpace": {"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}},
              "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
              "trialConcurrency": 2, "trainingService": {"platform": "local"}}
    assert m.experiment_params(config) == {
        "search_space.lr": '{"_type": "loguniform", "_value": [0.0001, 0.1]}',
        "tuner.name": "TPE", "tuner.optimize_mode": "maximize", "config.trialConcurrency": "2"}


def test_every_finished_trial_state_has_an_mlflow_status() -> None:
    from tunelab.trial import TrialState

    finished = {s.value for s in TrialState if s.is_finished}
    assert set(m.TRIAL_STATUS) == finished
    assert set(m.TRIAL_STATUS.values()) <= {"FINISHED", "FAILED", "KILLED"}
