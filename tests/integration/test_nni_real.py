"""The same NNI trial script with the real ``nni==3.0`` installed in the trial's environment: NNI's SDK
talks to tunelab through the ``NNI_TRIAL_COMMAND_CHANNEL=import://`` plug-in.

Needs a separate venv (``scripts/make-nni-venv.sh``); point ``TUNELAB_TEST_NNI_PYTHON`` at its python.
tunelab is not installed there: the shim directory on ``PYTHONPATH`` brings the channel plug-in along.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NNI_PYTHON = os.environ.get("TUNELAB_TEST_NNI_PYTHON", "")
PROJECT = Path(__file__).with_name("nni_project")

pytestmark = [
    pytest.mark.nni,
    pytest.mark.skipif(not NNI_PYTHON, reason="set TUNELAB_TEST_NNI_PYTHON to a venv with nni==3.0"),
]


def _run_cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env["TUNELAB_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "tunelab.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_real_nni_sdk_reports_through_the_channel_plugin(tmp_path: Path) -> None:
    project = Path(shutil.copytree(PROJECT, tmp_path / "project"))
    probe = f"{NNI_PYTHON} -c \"import nni; print('NNI-FILE', nni.__file__, nni.__version__)\""
    config = (project / "config.yml").read_text().replace(
        "trialCommand: python3 trial.py", f"trialCommand: {json.dumps(probe + ' && ' + NNI_PYTHON + ' trial.py')}"
    ).replace("maxTrialNumber: 4", "maxTrialNumber: 2")
    (project / "real.yml").write_text(config)
    home = tmp_path / "home"
    result = _run_cli("run", "real.yml", "--port", "18330", home=home, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    (exp_dir,) = [p for p in home.iterdir() if p.is_dir()]
    listing = _run_cli("trial", "ls", exp_dir.name, "--json", home=home, cwd=project)
    trials = json.loads(listing.stdout)
    assert [t["status"] for t in trials] == ["SUCCEEDED", "SUCCEEDED"], trials
    venv = Path(NNI_PYTHON).absolute().parent.parent
    for trial in trials:
        stdout = (exp_dir / "trials" / trial["id"] / "stdout").read_text()
        nni_file = next(line.split()[1] for line in stdout.splitlines() if line.startswith("NNI-FILE"))
        assert Path(nni_file).is_relative_to(venv)  # the real SDK, not the shim
        assert f"PRINTED-BY-TRIAL {trial['sequence']}" in stdout  # NNI's print redirection undone
        assert trial["intermediate_count"] == 3
        assert trial["final_data"]["accuracy"] == pytest.approx(1 - trial["final"])


def test_real_nni_standalone_is_untouched(tmp_path: Path) -> None:
    # Outside an experiment the real SDK keeps its own standalone behaviour even with the shim on the path.
    from tunelab.compat import trial_environment

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env["PYTHONPATH"] = trial_environment(env)["PYTHONPATH"]
    code = "import nni; print(nni.get_next_parameter(), nni.get_trial_id(), nni.__file__)"
    result = subprocess.run([NNI_PYTHON, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "{} STANDALONE" in result.stdout
    assert "_shim" not in result.stdout
