"""`tunelab trial try`: one trial outside any experiment, with the nni shim, given or sampled parameters,
each report printed as it arrives, the trial's exit code, and the command that starts the experiment."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import Cli

NNI_TRIAL = """
import sys, time
import nni

params = nni.get_next_parameter()
print("got", params, flush=True)
nni.report_intermediate_result(params.get("lr", 0) * 10)
time.sleep(0.3)
nni.report_final_result({"default": 0.5, "loss": 1.5})
sys.exit(params.get("code", 0))
"""


def test_try_a_script_with_params(cli: Cli) -> None:
    cli.write("mnist_nni.py", NNI_TRIAL)
    done = cli("trial", "try", "mnist_nni.py", "--params", '{"lr": 0.1}')
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "got {'lr': 0.1}" in out
    assert "report: intermediate #0 1.0" in out
    assert 'report: final {"default": 0.5, "loss": 1.5}' in out
    assert "trial exited 0" in out
    assert out.index("report: intermediate") < out.index("report: final") < out.index("trial exited 0")
    assert out.rstrip().splitlines()[-1].endswith("`tunelab run config.yml`")
    assert cli.experiments() == []  # nothing stored


def test_exit_code_follows_the_trial(cli: Cli) -> None:
    cli.write("mnist_nni.py", NNI_TRIAL)
    done = cli("trial", "try", f"{sys.executable} mnist_nni.py", "--params", '{"code": 3}')
    assert done.returncode == 3, done.stdout + done.stderr
    assert "trial exited 3" in done.stdout


def test_parameters_sampled_from_a_space(cli: Cli) -> None:
    done = cli("trial", "try", "trial.py", "--space", "search_space.json", "--seed", "4")
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("parameters: "))
    params = json.loads(line.removeprefix("parameters: "))
    assert 0 <= params["x"] <= 1
    assert params["depth"] in (1, 2, 3)
    assert "report: intermediate #2" in done.stdout
    assert "searchSpaceFile: search_space.json" in done.stdout


def test_bad_params_json_is_a_clear_error(cli: Cli) -> None:
    cli.write("mnist_nni.py", NNI_TRIAL)
    for bad in ("{lr: 0.1}", "[1, 2]"):
        done = cli("trial", "try", "mnist_nni.py", "--params", bad)
        assert done.returncode == 2, done.stdout + done.stderr
        text = " ".join((done.stdout + done.stderr).split())
        assert "--params" in text
        assert repr(bad) in text
        assert "JSON object" in text
        assert "Traceback" not in text
        assert "got {" not in done.stdout  # the trial never ran


def test_python3_in_the_command_is_this_venvs(cli: Cli) -> None:
    cli.write("probe.py", "import sys\nprint('prefix', sys.prefix)\n")
    env = {**cli.env, "PATH": "/usr/bin:/bin"}  # tunelab run as .venv/bin/tunelab, the venv not activated
    done = subprocess.run([sys.executable, "-m", "tunelab.cli", "trial", "try", "python3 probe.py"],
                          cwd=cli.workdir, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"prefix {sys.prefix}" in done.stdout


def test_a_missing_script_is_a_clear_error(cli: Cli) -> None:
    done = cli("trial", "try", "tarin.py", "--params", "{}")
    assert done.returncode == 2, done.stdout + done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    assert "tarin.py: no such file" in text
    assert "Traceback" not in text


def test_objectives_check_the_final_dict_as_an_experiment_would(cli: Cli) -> None:
    cli.write("mo.py", """
        import tunelab
        tunelab.get_next_parameter()
        tunelab.report_intermediate_result({"accuracy": 0.4})
        tunelab.report_final_result({"accuracy": 0.9, "latency_ms": 12.5})
    """)
    done = cli("trial", "try", "mo.py", "--objectives", "accuracy:maximize,latency_ms:minimize")
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'report: final {"accuracy": 0.9, "latency_ms": 12.5}' in done.stdout
    missing = cli("trial", "try", "mo.py", "--objectives", "accuracy:maximize,memory_mb <= 3")
    assert missing.returncode == 1
    assert "the final result lacks the objective 'memory_mb'" in missing.stderr
    bad = cli("trial", "try", "mo.py", "--objectives", "accuracy")
    assert bad.returncode == 2
    assert "--objectives[0]: cannot read 'accuracy'" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
