"""`tunelab update ID searchspace` on a live TPE experiment with a renamed and a new parameter, then resume
(issue 10, item 7): the experiment keeps running, new trials follow the new space, resume picks it up."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.reliability.harness import Lab, free_port, wait_for

from tunelab.trial import ExperimentStatus

EXP = "tpeupdate"
TRIAL = """
import tunelab.trial_api as api
params = api.get_next_parameter()
value = sum(float(v) for v in params.values() if isinstance(v, (int, float)))
api.report_final_result(value + (0.5 if params.get("c") == "b" else 0.0))
"""
OLD = {"x": {"_type": "uniform", "_value": [0, 1]}, "c": {"_type": "choice", "_value": ["a", "b"]}}
NEW = {"y": {"_type": "uniform", "_value": [0, 1]}, "c": {"_type": "choice", "_value": ["a", "b"]},
       "z": {"_type": "choice", "_value": [1, 2]}}


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    lab.write("trial.py", TRIAL)
    try:
        yield lab
    finally:
        if lab.manager_info(EXP) is not None:
            lab.stop(EXP)
        lab.close()


def finished(lab: Lab) -> list[dict[str, object]]:
    """The parameters of the finished trials; fails at once when the experiment went to ERROR."""
    with lab.store(EXP) as store:
        record = store.get_experiment()
        assert record.status != ExperimentStatus.ERROR, record.error
        return [dict(t.parameters) for t in store.list_trials() if t.status.is_finished]


def test_update_searchspace_with_tpe_keeps_running_and_resumes(lab: Lab) -> None:
    config = lab.config(trial="trial.py", space=OLD, trialConcurrency=1, maxTrialNumber=5,
                        tuner={"name": "TPE", "classArgs": {"seed": 3, "tpe_args": {"n_startup_jobs": 2}}})
    started = lab.create(config, EXP, port=free_port())
    assert started.returncode == 0, started.stdout + started.stderr
    wait_for(lambda: len(finished(lab)) >= 3, 120, "three trials under the old space")

    new_space = lab.write("new_space.json", json.dumps(NEW))
    updated = lab.cli("update", EXP, "searchspace", str(new_space))
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert lab.cli("update", EXP, "trialnum", "9").returncode == 0
    wait_for(lambda: any("z" in p for p in finished(lab)) and len(finished(lab)) >= 6, 120,
             "trials under the new space")
    lab.stop(EXP)

    since = time.time()
    resumed = lab.resume(EXP, port=free_port())
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert lab.cli("update", EXP, "trialnum", "12").returncode == 0
    wait_for(lambda: lab.ended_since(EXP, since), 180, "the resumed experiment to end DONE")
    trials = finished(lab)
    assert len(trials) == 12
    changed = [p for p in trials if "z" in p]
    assert len(changed) >= 6
    for params in changed:
        assert set(params) == {"y", "c", "z"}, params
