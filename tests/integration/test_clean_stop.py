"""The clean stop: a trial that polls ``tunelab.should_stop()`` finishes its epoch, writes a checkpoint and
exits 0 when the assessor stops it, and is still recorded EARLY_STOPPED; one that never asks is killed."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tunelab.config import parse_config
from tunelab.manager import create_session
from tunelab.trial import Trial, TrialState

ASSESSOR = """
from tunelab.assessors import Assessor


class StopAtThird(Assessor):
    def assess_trial(self, trial_job_id, trial_history):
        return len(trial_history) < 3
"""

TRIAL = """
import os, sys, time
from pathlib import Path
import tunelab

params = tunelab.get_next_parameter()
polite = params["mode"] == "polite"
if polite:
    tunelab.should_stop()  # start listening before the first epoch
for epoch in range(200):
    time.sleep(0.1)  # one "epoch" of training
    tunelab.report_intermediate_result(epoch / 100)
    if polite and tunelab.should_stop():
        Path(os.environ["CKPT_DIR"], params["mode"] + ".ckpt").write_text(str(epoch))
        tunelab.report_final_result(epoch / 100)
        sys.exit(0)
tunelab.report_final_result(1.0)
"""


def _run(tmp_path: Path, service: dict[str, Any]) -> dict[str, Trial]:
    code = tmp_path / "code"
    algorithms = tmp_path / "algorithms"
    code.mkdir()
    algorithms.mkdir()
    (code / "trial.py").write_text(textwrap.dedent(TRIAL))
    (algorithms / "stop_at_third.py").write_text(textwrap.dedent(ASSESSOR))
    config = parse_config({
        "searchSpace": {"mode": {"_type": "choice", "_value": ["polite", "deaf"]}},
        "trialCommand": f"CKPT_DIR={tmp_path} {sys.executable} trial.py",
        "trialCodeDirectory": str(code),
        "trialConcurrency": 2,
        "maxTrialNumber": 2,
        "trialGracePeriod": "10s",
        "tuner": {"name": "GridSearch"},
        "assessor": {"className": "stop_at_third.StopAtThird", "codeDirectory": str(algorithms)},
        "trainingService": service,
        "experimentWorkingDirectory": str(tmp_path / "home"),
        "failFastTrials": 0,
    })
    session = create_session(config, experiment_id="cleanstop")
    try:
        assert session.manager is not None
        asyncio.run(session.manager.run())
        return {t.parameters["mode"]: t for t in session.store.list_trials()}
    finally:
        session.close()


@pytest.mark.parametrize("service", [
    pytest.param({"platform": "local"}, id="local"),
    pytest.param({"platform": "dask", "nWorkers": 2}, id="dask", marks=pytest.mark.dask),
])
def test_a_trial_that_polls_should_stop_checkpoints_and_is_recorded_early_stopped(
        tmp_path: Path, service: dict[str, Any]) -> None:
    if service["platform"] == "dask":
        pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'tunelab[dask]')")
    trials = _run(tmp_path, service)
    assert trials["polite"].status == TrialState.EARLY_STOPPED
    assert trials["deaf"].status == TrialState.EARLY_STOPPED
    # The polite trial saw the stop after its third report and saved within the grace period.
    checkpoint = tmp_path / "polite.ckpt"
    assert checkpoint.is_file()
    assert int(checkpoint.read_text()) >= 2
    assert trials["polite"].final is not None
    # The deaf trial kept SIGTERM's default action: it died at once, with no checkpoint and no final.
    assert not (tmp_path / "deaf.ckpt").exists()
    assert trials["deaf"].final is None


def test_a_bad_grace_period_names_the_key() -> None:
    from tunelab.base import ConfigError

    with pytest.raises(ConfigError, match=r"trialGracePeriod: must be a duration.*'soon'"):
        parse_config({"searchSpace": {"x": {"_type": "choice", "_value": [1]}}, "trialCommand": "true",
                      "trialConcurrency": 1, "trialGracePeriod": "soon", "trainingService": {"platform": "local"}})
