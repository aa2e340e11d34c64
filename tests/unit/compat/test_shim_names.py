"""The shim's public names against NNI 3.0's (HPO part), and ``merge_parameter``/``ClassArgsValidator``
behaving as NNI's. Runs in fresh processes with the shim on ``PYTHONPATH``; where ``.venv-nni`` exists the
same probes run through the real NNI and the results must match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunelab.compat import trial_environment

NNI_PYTHON = os.environ.get("TUNELAB_TEST_NNI_PYTHON", "")

#: NNI 3.0's public HPO names per module (from dir() of the real package); NAS-only names
#: (nni.choice, nni.uniform, ... as mutables, frameworks, training_update) and remote/Kubernetes/AML
#: service configs are left out on purpose.
HPO_NAMES = {
    "nni": ["ClassArgsValidator", "Experiment", "NoMoreTrialError", "dump", "enable_global_logging",
            "get_current_parameter", "get_experiment_id", "get_next_parameter", "get_next_parameters",
            "get_sequence_id", "get_trial_id", "load", "report_final_result", "report_intermediate_result",
            "silence_stdout", "trace"],
    "nni.utils": ["ClassArgsValidator", "MetricType", "NodeType", "OptimizeMode", "convert_dict2tuple",
                  "extract_scalar_history", "extract_scalar_reward", "merge_parameter", "split_index"],
    "nni.tuner": ["Parameters", "Recoverable", "SearchSpace", "TrialMetric", "TrialRecord", "Tuner"],
    "nni.assessor": ["AssessResult", "Assessor", "Recoverable", "TrialMetric"],
    "nni.trial": ["ParameterRecord", "Parameters", "TrialMetric", "get_current_parameter", "get_experiment_id",
                  "get_next_parameter", "get_next_parameters", "get_sequence_id", "get_trial_id",
                  "overwrite_intermediate_seq", "report_final_result", "report_intermediate_result"],
    "nni.typehint": ["ParameterRecord", "Parameters", "SearchSpace", "TrialMetric", "TrialRecord"],
    "nni.experiment": ["AlgorithmConfig", "CustomAlgorithmConfig", "Experiment", "ExperimentConfig",
                       "LocalConfig", "RunMode", "TrialHyperParameters", "TrialJob", "TrialMetricData",
                       "TrialResult"],
}

PROBE = r'''
import argparse, importlib, json, sys
out = {"missing": {m: [n for n in names if not hasattr(importlib.import_module(m), n)]
                   for m, names in json.loads(sys.argv[1]).items()}}
from nni.utils import merge_parameter, extract_scalar_reward, OptimizeMode, MetricType, ClassArgsValidator

def outcome(fn):
    try:
        return ["ok", fn()]
    except Exception as exc:
        return [type(exc).__name__]

def ns():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no_cuda", action="store_true")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--name", default=None)
    return parser.parse_args([])

cases = [{"no_cuda": "false"}, {"no_cuda": True}, {"batch_size": 3.7}, {"batch_size": 4.0}, {"batch_size": 32},
         {"batch_size": True}, {"lr": 1}, {"lr": "0.1"}, {"name": 5}, {"missing": 1}]
out["merge_namespace"] = [outcome(lambda c=c: vars(merge_parameter(ns(), c))) for c in cases]
out["merge_dict"] = [outcome(lambda c=c: merge_parameter({"a": 1, "b": 0.5, "c": None}, c))
                     for c in [{"a": 2.5}, {"b": 2}, {"c": "x"}, {"a": "1"}, {"z": 1}]]
out["merge_none"] = vars(merge_parameter(ns(), None))
out["reward"] = [outcome(lambda v=v: extract_scalar_reward(v)) for v in [3, 0.5, {"default": 2}, "0.5", {"x": 1}]]
out["enums"] = [[m.name, m.value] for m in OptimizeMode] + [MetricType.FINAL, MetricType.PERIODICAL,
                                                            MetricType.REQUEST_PARAMETER]
v = ClassArgsValidator()
checks = [(v.choices("mode", "maximize", "minimize"), "maximize"), (v.choices("mode", "maximize"), "x"),
          (v.range("n", int, 1, 5), 3), (v.range("n", int, 1, 5), 9), (v.range("n", int, 1, 5), 2.0),
          (v.path("p"), "/"), (v.path("p"), "/no/such/path")]
out["validator"] = [outcome(lambda c=c, x=x: c.validate(x)) for c, x in checks]
print(json.dumps(out))
'''


def _probe(python: str, tmp_path: Path, shim: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    if shim:
        env.update(trial_environment(env))
        env["TUNELAB_NNI_SHIM"] = "1"
    result = subprocess.run([python, "-c", PROBE, json.dumps(HPO_NAMES)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def shim_out(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _probe(sys.executable, tmp_path_factory.mktemp("shim"), shim=True)


def test_shim_has_nni_hpo_names(shim_out: dict) -> None:
    assert shim_out["missing"] == {m: [] for m in HPO_NAMES}


def test_merge_parameter_raises_where_nni_raises(shim_out: dict) -> None:
    merged = shim_out["merge_namespace"]
    assert merged[0] == ["ValueError"]  # store_true given 'false'
    assert merged[2] == ["ValueError"]  # int given 3.7
    assert merged[3] == ["ValueError"]  # int given 4.0: NNI converts nothing
    assert merged[6][1]["lr"] == 1.0  # an int may replace a float default
    assert merged[9] == ["ValueError"]


def test_validator_checks(shim_out: dict) -> None:
    assert [o[0] == "ok" for o in shim_out["validator"]] == [True, False, True, False, False, True, False]


@pytest.mark.nni
@pytest.mark.skipif(not NNI_PYTHON, reason="set TUNELAB_TEST_NNI_PYTHON to a venv with nni==3.0")
def test_shim_matches_real_nni(shim_out: dict, tmp_path: Path) -> None:
    real = _probe(NNI_PYTHON, tmp_path, shim=False)
    assert real["missing"] == {m: [] for m in HPO_NAMES}  # the list above is NNI's
    for key in ("merge_namespace", "merge_dict", "merge_none", "reward", "enums"):
        assert shim_out[key] == real[key], key
    # NNI returns schema.SchemaError; the shim too when `schema` is installed, else ValueError.
    assert [o[0] == "ok" for o in shim_out["validator"]] == [o[0] == "ok" for o in real["validator"]]
