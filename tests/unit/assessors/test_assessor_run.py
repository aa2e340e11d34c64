"""A built-in assessor in a real ``tunelab run``: the bad trial ends EARLY_STOPPED, the good one succeeds;
and the ``Auto`` tuner drives a real run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

TRIAL = """
import time
import tunelab

x = tunelab.get_next_parameter()["x"]
for step in range(4):
    tunelab.report_intermediate_result(x)
    time.sleep(0.0 if x > 0.5 else 2.0)  # the bad trial is slow: the assessor must kill it early
tunelab.report_final_result(x)
"""


def _run(tmp_path: Path, config: dict[str, Any]) -> list[dict[str, Any]]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "trial.py").write_text(textwrap.dedent(TRIAL))
    (project / "config.yml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_TRIAL", "NNI_"))}
    env["TUNELAB_HOME"] = str(tmp_path / "home")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tunelab.cli", *args],
            cwd=project,
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=180,
        )

    result = cli("run", "config.yml", "--port", str(port))
    assert result.returncode == 0, result.stdout + result.stderr
    (exp,) = [p.name for p in (tmp_path / "home").iterdir() if p.is_dir()]
    listed = cli("trial", "ls", exp, "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def base_config(**extra: Any) -> dict[str, Any]:
    return {
        "searchSpace": {"x": {"_type": "choice", "_value": [1.0, 0.0]}},
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": ".",
        "trialConcurrency": 1,
        "maxTrialNumber": 2,
        "trainingService": {"platform": "local"},
        **extra,
    }


def test_medianstop_stops_the_bad_trial_early(tmp_path: Path) -> None:
    config = base_config(
        tuner={"name": "GridSearch"}, assessor={"name": "Medianstop", "classArgs": {"start_step": 1}}
    )
    trials = _run(tmp_path, config)
    status = {t["parameters"]["x"]: t["status"] for t in trials}
    assert status == {1.0: "SUCCEEDED", 0.0: "EARLY_STOPPED"}


def test_auto_tuner_in_a_real_run(tmp_path: Path) -> None:
    config = base_config(
        searchSpace={"x": {"_type": "uniform", "_value": [0.6, 1.0]}},
        maxTrialNumber=3,
        tuner={"name": "Auto", "classArgs": {"optimize_mode": "maximize", "seed": 1}},
    )
    trials = _run(tmp_path, config)
    assert len(trials) == 3
    assert all(t["status"] == "SUCCEEDED" for t in trials)
