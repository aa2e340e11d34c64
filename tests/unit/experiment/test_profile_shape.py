"""``Experiment.get_experiment_profile()`` in NNI 3.0's shape (its ExperimentProfile record)."""

from __future__ import annotations

from tunelab.experiment._records import experiment_profile

OVERVIEW = {
    "id": "exp1", "name": "demo", "status": "DONE", "created_at": 100.0, "run_started_at": 101.5,
    "ended_at": 161.25, "elapsed": 59.75, "config": {"maxTrialNumber": 4, "trialConcurrency": 2},
    "counts": {"SUCCEEDED": 3, "FAILED": 1, "WAITING": 0}, "experiment_dir": "/home/u/tunelab/exp1",
}


def test_profile_has_nni_keys_then_tunelab_ones() -> None:
    profile = experiment_profile(OVERVIEW)
    assert list(profile)[:7] == ["id", "params", "execDuration", "logDir", "startTime", "nextSequenceId",
                                 "endTime"]
    assert profile["params"]["maxTrialNumber"] == 4
    assert (profile["execDuration"], profile["startTime"], profile["endTime"]) == (59, 101500, 161250)
    assert (profile["logDir"], profile["nextSequenceId"]) == ("/home/u/tunelab/exp1", 4)
    assert profile["config"] == OVERVIEW["config"]  # tunelab's overview keys stay


def test_profile_of_a_running_experiment_has_no_end_time() -> None:
    assert "endTime" not in experiment_profile({**OVERVIEW, "ended_at": None})
