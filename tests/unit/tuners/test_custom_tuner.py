"""Custom algorithms: NNI-style tuner/assessor classes written to disk, loaded by className/codeDirectory.

The adapter is checked in-process, then both classes drive a real ``tunelab run`` of a tiny experiment.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tunelab.base import ConfigError, NoMoreTrialsError
from tunelab.trial import TrialState
from tunelab.tuners import History, Observation, load_custom_tuner

NNI_TUNER = """
import json, os
from nni.tuner import Tuner
from nni.trial import NoMoreTrialError


class CountingTuner(Tuner):
    '''Proposes x = 0.1, 0.2, ...; logs every call it receives (NNI 3.0 method names).'''

    def __init__(self, limit=5, log=None):
        self.limit = limit
        self.log = log
        self.calls = []

    def _note(self, *entry):
        self.calls.append(entry)
        if self.log:
            with open(self.log, "a") as fh:
                fh.write(json.dumps(entry) + "\\n")

    def update_search_space(self, search_space):
        self._note("space", sorted(search_space))

    def generate_parameters(self, parameter_id, **kwargs):
        if parameter_id >= self.limit:
            raise NoMoreTrialError("done")
        self._note("generate", parameter_id)
        return {"x": round(0.1 * (parameter_id + 1), 3)}

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        self._note("result", parameter_id, parameters["x"], value, kwargs.get("trial_job_id") is not None)

    def trial_end(self, parameter_id, success, **kwargs):
        self._note("end", parameter_id, success)

    def import_data(self, data):
        self._note("import", len(data))
"""

NNI_ASSESSOR = """
from nni.assessor import Assessor, AssessResult


class NeverStop(Assessor):
    def __init__(self, tag="x"):
        self.tag = tag

    def assess_trial(self, trial_job_id, trial_history):
        return AssessResult.Good
"""

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_nni_tuner_is_adapted_to_the_history_seam(tmp_path: Path) -> None:
    (tmp_path / "my_tuner.py").write_text(textwrap.dedent(NNI_TUNER))
    tuner = load_custom_tuner("my_tuner.CountingTuner", str(tmp_path), SPACE, {"limit": 3}, seed=0)
    history = History()
    first = tuner.suggest(history)
    assert first == {"x": 0.1}
    history.pending.append(Observation("a", 0, first, TrialState.RUNNING))
    second = tuner.suggest(history)
    history.pending.append(Observation("b", 1, second, TrialState.RUNNING))
    history.pending = [o for o in history.pending if o.trial_id != "a"]
    history.finished.append(Observation("a", 0, first, TrialState.SUCCEEDED, 0.5))
    history.finished.append(Observation("a", 0, first, TrialState.SUCCEEDED, 0.5))  # duplicate report
    history.finished.append(Observation("c", 9, {"x": 0.77}, TrialState.SUCCEEDED, 0.9))  # customized
    history.finished.append(Observation("b", 1, second, TrialState.FAILED))
    tuner.suggest(history)
    with pytest.raises(NoMoreTrialsError):
        tuner.suggest(history)
    calls = tuner.inner.calls  # type: ignore[attr-defined]
    assert calls[0] == ("space", ["x"])
    assert ("result", 0, 0.1, 0.5, True) in calls
    assert calls.count(("end", 0, True)) == 1
    assert ("end", 1, False) in calls
    assert ("import", 1) in calls
    assert not any(c[0] == "result" and c[1] == 1 for c in calls)  # failed: no result


def test_loader_errors_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "my_tuner.py").write_text(textwrap.dedent(NNI_TUNER))
    with pytest.raises(ConfigError, match=r"tuner.classArgs: CountingTuner\(bogus\) failed"):
        load_custom_tuner("my_tuner.CountingTuner", str(tmp_path), SPACE, {"bogus": 1})
    with pytest.raises(ConfigError, match=r"tuner.codeDirectory"):
        load_custom_tuner("my_tuner.CountingTuner", str(tmp_path / "nope"), SPACE, {})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_custom_nni_classes_drive_a_real_run(tmp_path: Path) -> None:
    project = tmp_path / "project"
    algorithms = tmp_path / "algorithms"
    project.mkdir()
    algorithms.mkdir()
    (algorithms / "my_tuner.py").write_text(textwrap.dedent(NNI_TUNER))
    (algorithms / "my_assessor.py").write_text(textwrap.dedent(NNI_ASSESSOR))
    log = tmp_path / "calls.jsonl"
    (project / "trial.py").write_text(
        textwrap.dedent(
            """
            import tunelab
            params = tunelab.get_next_parameter()
            tunelab.report_intermediate_result(params["x"] / 2)
            tunelab.report_final_result(params["x"])
            """
        )
    )
    config = {
        "searchSpace": SPACE,
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": ".",
        "trialConcurrency": 1,
        "maxTrialNumber": 10,
        "tuner": {
            "className": "my_tuner.CountingTuner",
            "codeDirectory": str(algorithms),
            "classArgs": {"limit": 3, "log": str(log)},
        },
        "assessor": {
            "className": "my_assessor.NeverStop",
            "codeDirectory": str(algorithms),
            "classArgs": {"tag": "y"},
        },
        "trainingService": {"platform": "local"},
    }
    (project / "config.yml").write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_TRIAL", "NNI_"))}
    env["TUNELAB_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-m", "tunelab.cli", "run", "config.yml", "--port", str(_free_port())],
        cwd=project,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c for c in calls if c[0] == "generate"] == [["generate", 0], ["generate", 1], ["generate", 2]]
    results = sorted((c[1], c[2], c[3]) for c in calls if c[0] == "result")
    assert results == [(0, 0.1, 0.1), (1, 0.2, 0.2), (2, 0.3, 0.3)]
    assert sorted(c[1] for c in calls if c[0] == "end") == [0, 1, 2]
