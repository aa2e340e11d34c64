"""The `nni` shim trials import: NNI's names and semantics, on tunelab's trial API, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunelab.compat import CHANNEL_URL, SHIM_DIR, trial_environment

TRIAL = """
import json, sys, nni
params = nni.get_next_parameter()
nni.report_intermediate_result(0.25)
nni.report_intermediate_result({"default": 0.5, "loss": 2.0})
nni.report_final_result({"default": 0.75, "loss": 1.0})
print(json.dumps({
    "params": params, "current": nni.get_current_parameter(),
    "trial": nni.get_trial_id(), "experiment": nni.get_experiment_id(), "sequence": nni.get_sequence_id(),
    "file": nni.__file__, "stdout_is_real": sys.stdout is sys.__stdout__,
}))
"""


def _run(code: str, tmp_path: Path, extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env.update(trial_environment(env))
    env.update(extra_env)
    return subprocess.run([sys.executable, *args, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)


def _trial_env(tmp_path: Path) -> dict[str, str]:
    return {
        "TUNELAB_TRIAL_ID": "AbCd1", "TUNELAB_EXPERIMENT_ID": "exp12345", "TUNELAB_SEQUENCE_ID": "7",
        "TUNELAB_PARAMETERS": json.dumps({"lr": 0.1, "opt": {"_name": "sgd", "momentum": 0.9}}),
        "TUNELAB_METRICS_FILE": str(tmp_path / "metrics.jsonl"),
        "NNI_PLATFORM": "local", "NNI_EXP_ID": "exp12345", "NNI_TRIAL_JOB_ID": "AbCd1", "NNI_TRIAL_SEQ_ID": "7",
        "NNI_OUTPUT_DIR": str(tmp_path), "TUNELAB_NNI_SHIM": "1",
    }


def test_trial_environment_prepends_shim_and_keeps_user_pythonpath() -> None:
    env = trial_environment({"PYTHONPATH": f"/user/a{os.pathsep}/user/b"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(SHIM_DIR), "/user/a", "/user/b"]
    assert env["NNI_TRIAL_COMMAND_CHANNEL"] == CHANNEL_URL


def test_trial_environment_without_pythonpath_and_no_duplicate_shim() -> None:
    assert trial_environment({})["PYTHONPATH"] == str(SHIM_DIR)
    assert trial_environment({"PYTHONPATH": str(SHIM_DIR)})["PYTHONPATH"] == str(SHIM_DIR)


def test_shim_is_not_on_sys_path_only_a_last_resort_finder() -> None:
    # tunelab installs no top-level `nni` on sys.path (it would shadow a real NNI): outside a trial the shim
    # comes only from the finder tunelab-nni.pth appends to the end of sys.meta_path, asked last.
    code = ("import sys; from importlib.machinery import PathFinder; "
            "print(PathFinder.find_spec('nni'), getattr(sys.meta_path[-1], '__name__', None))")
    result = subprocess.run([sys.executable, "-c", code],
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                            capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["None", "NniShimFinder"]


def test_shim_inside_an_experiment(tmp_path: Path) -> None:
    result = _run(TRIAL, tmp_path, _trial_env(tmp_path))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["params"] == {"lr": 0.1, "opt": {"_name": "sgd", "momentum": 0.9}}
    assert out["current"] == out["params"]
    assert (out["trial"], out["experiment"], out["sequence"]) == ("AbCd1", "exp12345", 7)
    assert Path(out["file"]).is_relative_to(SHIM_DIR)
    assert out["stdout_is_real"] is True
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [(m["kind"], m["seq"], m["value"]) for m in lines] == [
        ("PERIODICAL", 0, 0.25),
        ("PERIODICAL", 1, {"default": 0.5, "loss": 2.0}),
        ("FINAL", 0, {"default": 0.75, "loss": 1.0}),
    ]


def test_shim_standalone_behaves_like_nni(tmp_path: Path) -> None:
    result = _run(TRIAL, tmp_path, {"TUNELAB_NNI_SHIM": "1"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["params"] == {}
    assert (out["trial"], out["experiment"], out["sequence"]) == ("STANDALONE", "STANDALONE", 0)
    assert "Final result" in result.stdout
    assert "RuntimeWarning" in result.stderr


def test_shim_rejects_a_metric_nni_rejects(tmp_path: Path) -> None:
    code = "import nni; nni.get_next_parameter(); nni.report_final_result({'acc': 0.5})"
    result = _run(code, tmp_path, _trial_env(tmp_path))
    assert result.returncode != 0
    assert "'default'" in result.stderr


def test_shim_loads_tunelab_when_the_trial_environment_lacks_it(tmp_path: Path) -> None:
    # `python -S` skips site-packages (where tunelab is installed): the bridge loads the manager's copy.
    code = "import sys, nni; print(nni.get_next_parameter()); print(sys.modules['tunelab'].__file__)"
    result = _run(code, tmp_path, _trial_env(tmp_path), "-S")
    assert result.returncode == 0, result.stderr
    params_line, tunelab_file = result.stdout.strip().splitlines()[-2:]
    assert "'lr': 0.1" in params_line
    assert Path(tunelab_file).parent == SHIM_DIR.parent.parent


def test_shim_extras(tmp_path: Path) -> None:
    code = (
        "import argparse, nni\n"
        "from nni.utils import merge_parameter, extract_scalar_reward\n"
        "ns = merge_parameter(argparse.Namespace(lr=0.01, epochs=3), {'lr': 0.5, 'epochs': 4})\n"
        "assert (ns.lr, ns.epochs) == (0.5, 4), ns\n"
        "assert extract_scalar_reward({'default': 2, 'x': 1}) == 2.0\n"
        "assert nni.load(nni.dump({'a': 1})) == {'a': 1}\n"
        "nni.get_next_parameter(); nni.overwrite_intermediate_seq(10); nni.report_intermediate_result(1.0)\n"
        "assert issubclass(nni.NoMoreTrialError, Exception)\n"
        "print('ok')\n"
    )
    result = _run(code, tmp_path, _trial_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    seqs = [json.loads(line)["seq"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert seqs == [10]


def test_merge_parameter_unknown_key_is_named(tmp_path: Path) -> None:
    code = "from nni.utils import merge_parameter\nmerge_parameter({'lr': 1}, {'batch': 2})"
    result = _run(code, tmp_path, {})
    assert "'batch'" in result.stderr


@pytest.mark.parametrize("name", ["nni", "tunelab_nni_bridge"])
def test_shim_import_is_light(tmp_path: Path, name: str) -> None:
    code = f"import sys, {name}; import nni; nni.get_trial_id(); print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'fastapi', 'tunelab') and m not in ('tunelab',)))"
    result = _run(code, tmp_path, _trial_env(tmp_path))
    assert result.returncode == 0, result.stderr
    loaded = eval(result.stdout.strip())
    # trial_api and, of tunelab.base (stdlib-only), the JSON codec, the metric rule, the env names and the
    # lazy-export loader of the package __init__ files; nothing else
    light = ("tunelab.trial_api", "tunelab.base._json", "tunelab.base._metric", "tunelab.base.env",
             "tunelab.base._lazy")
    assert not [m for m in loaded if not m.startswith(light) and m != "tunelab.base"], loaded


def test_a_plain_nni_folder_beside_the_trial_does_not_hide_the_shim(tmp_path: Path) -> None:
    # A folder named `nni/` without __init__.py is a namespace portion, not a real NNI: the shim serves.
    (tmp_path / "nni").mkdir()
    (tmp_path / "nni" / "notes.txt").write_text("user files")
    env = {k: v for k, v in _trial_env(tmp_path).items() if k != "TUNELAB_NNI_SHIM"}
    result = _run("import nni; print(nni.get_trial_id(), nni.__file__)", tmp_path, env)
    assert result.returncode == 0, result.stderr
    trial_id, nni_file = result.stdout.split()
    assert trial_id == "AbCd1"
    assert Path(nni_file).is_relative_to(SHIM_DIR)
