"""NNI's Python experiment API on tunelab: the quickstart pattern, queries, updates, stop/view/resume."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

import tunelab
from tunelab.base import ConflictError, InvalidInputError
from tunelab.experiment import (
    AlgorithmConfig,
    CustomAlgorithmConfig,
    Experiment,
    ExperimentConfig,
    LocalConfig,
    RunMode,
    TrialJob,
    TrialResult,
)

PROJECT = Path(__file__).with_name("nni_project")

# tunelab.client.spawn_manager drops the Popen of the detached manager it started, which warns when
# collected while the manager still runs (harmless: the manager is meant to outlive the handle).


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "home"))
    # `python3` in trial commands is this venv's, as in an activated user shell.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("TUNELAB_TRIAL_ID", "NNI_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# One free port per role, chosen when the module loads (the API takes a port number, as NNI's does).
PORTS = {name: _free_port() for name in ("run", "resume", "update")}


def _quickstart(project: Path, trials: int) -> Experiment:
    """NNI's documented pattern, verbatim except for the import line."""
    experiment = Experiment("local")
    experiment.config.trial_command = "python3 trial.py"
    experiment.config.trial_code_directory = project
    experiment.config.search_space = json.loads((project / "search_space.json").read_text())
    experiment.config.tuner.name = "TPE"
    experiment.config.tuner.class_args["optimize_mode"] = "minimize"
    experiment.config.max_trial_number = trials
    experiment.config.trial_concurrency = 2
    return experiment


def test_public_names() -> None:
    assert tunelab.Experiment is Experiment
    assert ExperimentConfig is tunelab.ExperimentConfig
    assert {AlgorithmConfig, CustomAlgorithmConfig, LocalConfig} <= {
        tunelab.AlgorithmConfig, tunelab.CustomAlgorithmConfig, tunelab.LocalConfig}
    assert [m.name for m in RunMode] == ["Background", "Foreground", "Detach"]
    import tunelab.experiment as module

    assert module.__all__ == sorted(module.__all__)


def test_methods_need_a_running_experiment() -> None:
    experiment = Experiment("local")
    with pytest.raises(ConflictError, match="start"):
        experiment.get_status()
    with pytest.raises(InvalidInputError, match="no experiment id"):
        Experiment().resume()
    with pytest.raises(InvalidInputError, match="hybrid"):
        Experiment(["local", "remote"])


def test_run_query_update_stop_view_resume(tmp_path: Path, home: Path) -> None:
    project = Path(shutil.copytree(PROJECT, tmp_path / "project"))
    experiment = _quickstart(project, trials=3)
    try:
        assert experiment.run(PORTS['run']) == "DONE"
        assert experiment.get_status() == "DONE"
        assert experiment.port == PORTS['run']
        assert experiment.id
        jobs = experiment.list_trial_jobs()
        assert len(jobs) == 3
        assert all(isinstance(j, TrialJob) for j in jobs)
        assert {j.status for j in jobs} == {"SUCCEEDED"}
        job = experiment.get_trial_job(jobs[0].trialJobId)
        assert job.hyperParameters[0].parameters == jobs[0].hyperParameters[0].parameters
        assert job.finalMetricData[0].data["accuracy"] == pytest.approx(1 - job.finalMetricData[0].data["default"])
        assert Path(job.logPath).is_dir()
        assert job.startTime
        assert job.endTime
        assert job.endTime >= job.startTime
        assert experiment.get_job_statistics() == [{"trialJobStatus": "SUCCEEDED", "trialJobNumber": 3}]
        metrics = experiment.get_job_metrics(job.trialJobId)[job.trialJobId]
        assert [m.type for m in metrics] == ["PERIODICAL"] * 3 + ["FINAL"]
        assert [m.sequence for m in metrics[:3]] == [0, 1, 2]
        results = experiment.export_data()
        assert len(results) == 3
        assert all(isinstance(r, TrialResult) for r in results)
        assert {r.trialJobId for r in results} == {j.trialJobId for j in jobs}
        assert all(isinstance(r.value, dict) and "default" in r.value for r in results)

        experiment.update_trial_concurrency(3)
        narrowed = {**experiment.config.search_space, "lr": {"_type": "uniform", "_value": [0.001, 0.01]}}
        experiment.update_search_space(narrowed)
        profile = experiment.get_experiment_profile()
        assert profile["config"]["trialConcurrency"] == 3
        # NNI's shape: code reading profile['params']['maxTrialNumber'] works unchanged
        assert (profile["id"], profile["params"]["trialConcurrency"], profile["params"]["maxTrialNumber"]) == (
            experiment.id, 3, 3)
        assert isinstance(profile["execDuration"], int)
        assert profile["logDir"]
        experiment.update_max_trial_number(4)  # revives the experiment: one more trial in the new space
        assert experiment._wait_completion() == "DONE"
        jobs = experiment.list_trial_jobs()
        assert len(jobs) == 4
        assert 0.001 <= jobs[-1].hyperParameters[0].parameters["lr"] <= 0.01
    finally:
        experiment.stop()
    experiment.stop()  # idempotent
    exp_id = experiment.id
    assert exp_id is not None
    assert not (home / exp_id / "manager.json").exists()

    viewer = Experiment(None, exp_id)
    assert viewer.has_checkpoint()
    viewer.view(18321, non_blocking=True)
    try:
        assert viewer.get_status() in ("VIEWED", "DONE")
        assert len(viewer.export_data()) == 4
        assert viewer.config is not None
        assert viewer.config.max_trial_number == 4
    finally:
        viewer.stop()

    resumed = Experiment(None, exp_id)
    resumed.resume(PORTS['resume'], wait_completion=False)
    try:
        resumed.update_max_trial_number(5)
        assert resumed._wait_completion() == "DONE"
        assert len(resumed.list_trial_jobs()) == 5
        connected = Experiment.connect(PORTS['resume'])
        assert connected.id == exp_id
        assert connected.get_status() == "DONE"
        connected.close()  # lets go of the manager without stopping it
        assert resumed.get_status() == "DONE"
    finally:
        resumed.stop()


def test_kill_trial_job(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "slow.py").write_text("import nni, time\nnni.get_next_parameter()\ntime.sleep(60)\n")
    experiment = Experiment("local")
    experiment.config.trial_command = f"{sys.executable} slow.py"
    experiment.config.trial_code_directory = project
    experiment.config.search_space = {"x": {"_type": "uniform", "_value": [0, 1]}}
    experiment.config.tuner.name = "Random"
    experiment.config.max_trial_number = 1
    experiment.config.trial_concurrency = 1
    experiment.start(18323, run_mode=RunMode.Background)
    try:
        trial_id = _first_trial(experiment)
        experiment.kill_trial_job(trial_id)
        assert experiment.get_trial_job(trial_id).status == "USER_CANCELED"
    finally:
        experiment.stop()
    with pytest.raises(ConflictError):
        experiment.list_trial_jobs()  # the handle is closed after stop()


def _first_trial(experiment: Experiment) -> str:
    import time

    for _ in range(600):  # the manager starts the trial right after start() returns
        jobs = experiment.list_trial_jobs()
        if jobs and jobs[0].status == "RUNNING":
            return jobs[0].trialJobId
        time.sleep(0.05)
    raise AssertionError("no trial started")


def test_update_max_experiment_duration(tmp_path: Path, home: Path) -> None:
    project = Path(shutil.copytree(PROJECT, tmp_path / "project"))
    experiment = _quickstart(project, trials=1)
    try:
        assert experiment.run(PORTS['update']) == "DONE"
        experiment.update_max_experiment_duration("1h")
        assert experiment.get_experiment_profile()["config"]["maxExperimentDuration"] == "1h"
    finally:
        experiment.stop()


def test_objectives_through_the_python_api(tmp_path: Path, home: Path) -> None:
    project = tmp_path / "mo"
    project.mkdir()
    (project / "trial.py").write_text(
        "import nni\n"
        "p = nni.get_next_parameter()\n"
        "nni.report_final_result({'accuracy': p['x'], 'cost': p['x'] ** 2 + p['y']})\n"
    )
    experiment = Experiment("local")
    experiment.config.trial_command = "python3 trial.py"
    experiment.config.trial_code_directory = project
    experiment.config.search_space = {"x": {"_type": "uniform", "_value": [0, 1]},
                                      "y": {"_type": "uniform", "_value": [0, 1]}}
    experiment.config.tuner.name = "Auto"  # as NNI, the Python API asks for a tuner: Auto runs MOTPE here
    experiment.config.objectives = [{"name": "accuracy", "mode": "maximize"}, "cost:minimize"]
    experiment.config.max_trial_number = 6
    experiment.config.trial_concurrency = 2
    port = _free_port()
    try:
        assert experiment.run(port) == "DONE"
        results = experiment.export_data()
        assert len(results) == 6
        assert all({"accuracy", "cost"} <= set(r.value) for r in results)
        front = experiment.get_pareto_front()
        values = {r.trialJobId: r.value for r in results}
        for point in front:  # no trial beats a front point on both objectives
            mine = values[point["trial_id"]]
            assert not any(v["accuracy"] >= mine["accuracy"] and v["cost"] <= mine["cost"] and v != mine
                           for v in values.values())
        assert experiment.get_experiment_profile()["config"]["objectives"][1] == {"name": "cost", "mode": "minimize"}
    finally:
        experiment.stop()
