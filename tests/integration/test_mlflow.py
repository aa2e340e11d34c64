"""The ``mlflow`` config key with a real MLflow SQLite store and real experiments, read back with MLflow."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cli, free_port

mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed (pip install 'tunelab[mlflow]')")

# MLflow and SQLAlchemy warn about their own internals on import and on every query.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

TRIAL = """
import sys, time, tunelab
kind = tunelab.get_next_parameter()["kind"]
for step in range(3):
    tunelab.report_intermediate_result({"default": step * 0.25, "loss": 1.0 - step * 0.25})
if kind == "fail":
    sys.exit(3)
if kind == "slow":
    time.sleep(60)  # killed by maxTrialDuration: EARLY_STOPPED
tunelab.report_final_result({"default": 0.9, "loss": 0.1, "label": "not a number"})
"""


def _runs(uri: str) -> list[Any]:
    mlflow.set_tracking_uri(uri)
    return list(mlflow.search_runs(search_all_experiments=True, output_format="list", max_results=1000))


def _by_role(runs: list[Any]) -> tuple[Any, list[Any]]:
    (parent,) = [r for r in runs if r.data.tags.get("tunelab.role") == "experiment"]
    children = sorted((r for r in runs if r.data.tags.get("tunelab.role") == "trial"),
                      key=lambda r: int(r.data.tags["tunelab.sequence"]))
    return parent, children


def _trials(cli: Cli, exp: str) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)}


def test_run_logs_each_trial_as_a_run_nested_under_the_experiment(cli: Cli, tmp_path: Path) -> None:
    cli.write("trial.py", TRIAL)
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    (tmp_path / "store").mkdir()
    config = cli.config(
        searchSpaceFile=None, searchSpace={"kind": {"_type": "choice", "_value": ["ok", "fail", "slow"]}},
        tuner={"name": "GridSearch"}, trialConcurrency=3, maxTrialNumber=3, maxTrialDuration="4s",
        trialGracePeriod="1s", failFastTrials=0, mlflow={"trackingUri": uri, "experimentName": "itest"})
    result = cli("run", str(config), "--port", str(free_port()), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    (exp,) = cli.experiments()
    trials = _trials(cli, exp)

    parent, children = _by_role(_runs(uri))
    assert mlflow.get_experiment(parent.info.experiment_id).name == "itest"
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["tunelab.experiment_id"] == exp
    assert parent.data.tags["tunelab.status"] == "DONE"
    assert json.loads(parent.data.params["search_space.kind"]) == {"_type": "choice", "_value": ["ok", "fail", "slow"]}
    assert parent.data.params["tuner.name"] == "GridSearch"
    assert parent.data.params["config.maxTrialNumber"] == "3"
    client = mlflow.tracking.MlflowClient()
    config_artifact = Path(client.download_artifacts(parent.info.run_id, "tunelab/config.json", str(tmp_path)))
    assert json.loads(config_artifact.read_text())["mlflow"]["experimentName"] == "itest"

    assert len(children) == 3
    by_kind = {c.data.params["kind"]: c for c in children}
    expected = {"ok": ("FINISHED", "SUCCEEDED"), "fail": ("FAILED", "FAILED"), "slow": ("KILLED", "EARLY_STOPPED")}
    for kind, (mlflow_status, tunelab_status) in expected.items():
        run = by_kind[kind]
        trial = trials[run.data.tags["tunelab.trial_id"]]
        assert trial["parameters"] == {"kind": kind}
        assert trial["status"] == tunelab_status
        assert (run.info.status, run.data.tags["tunelab.status"]) == (mlflow_status, tunelab_status)
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["tunelab.experiment_id"] == exp
        assert run.data.tags["tunelab.sequence"] == str(trial["sequence"])
        assert run.info.experiment_id == parent.info.experiment_id
        history = client.get_metric_history(run.info.run_id, "intermediate")
        assert sorted((p.step, p.value) for p in history) == [(0, 0.0), (1, 0.25), (2, 0.5)]
        losses = client.get_metric_history(run.info.run_id, "intermediate.loss")
        assert sorted((p.step, p.value) for p in losses) == [(0, 1.0), (1, 0.75), (2, 0.5)]
    assert by_kind["ok"].data.metrics["final"] == 0.9
    assert by_kind["ok"].data.metrics["final.loss"] == 0.1
    assert "final.label" not in by_kind["ok"].data.metrics  # only numbers become metrics
    assert "final" not in by_kind["fail"].data.metrics
    assert "exited with code 3" in by_kind["fail"].data.tags["tunelab.message"]


def _wait_status(cli: Cli, exp: str, wanted: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = json.loads(cli("show", exp, "--json", check=True).stdout)["status"]
        if status == wanted:
            return
        time.sleep(0.3)
    raise AssertionError(f"experiment {exp} is {status}, not {wanted}")


def test_resume_continues_the_same_parent_run_in_the_default_store(cli: Cli) -> None:
    config = cli.config(maxTrialNumber=2, trialConcurrency=1, mlflow={})
    cli("create", "--config", str(config), "--port", str(free_port()), check=True)
    (exp,) = cli.experiments()
    _wait_status(cli, exp, "DONE")
    cli("stop", exp, check=True)
    uri = f"sqlite:///{cli.home / exp / 'mlflow' / 'mlflow.db'}"  # the default: inside the experiment
    parent, children = _by_role(_runs(uri))
    assert parent.info.status == "FINISHED"
    assert len(children) == 2
    assert mlflow.get_experiment(parent.info.experiment_id).name == "integration"  # the config's experimentName
    assert (cli.home / exp / "mlflow" / "artifacts").is_dir()  # artifacts stay with the experiment too

    cli("resume", exp, "--port", str(free_port()), check=True)
    _wait_status(cli, exp, "DONE")
    cli("update", exp, "trialnum", "3", check=True)
    deadline = time.monotonic() + 60
    while len(_trials(cli, exp)) < 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    _wait_status(cli, exp, "DONE")
    cli("stop", exp, check=True)

    again, children = _by_role(_runs(uri))
    assert again.info.run_id == parent.info.run_id
    assert again.info.status == "FINISHED"
    assert [c.data.tags["tunelab.sequence"] for c in children] == ["0", "1", "2"]
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert {c.data.tags["tunelab.trial_id"] for c in children} == set(_trials(cli, exp))
    assert all(c.info.status == "FINISHED" for c in children)


def test_an_unusable_store_is_a_warning_and_the_experiment_still_succeeds(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")  # MLflow makes missing folders, but not inside a file
    uri = f"sqlite:///{tmp_path / 'a-file' / 'mlflow.db'}"
    config = cli.config(maxTrialNumber=2, mlflow={"trackingUri": uri})
    result = cli("run", str(config), "--port", str(free_port()), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    (exp,) = cli.experiments()
    log = (cli.home / exp / "log" / "manager.log").read_text()
    assert "WARNING mlflow: could not connect (sqlite:///" in log
    assert json.loads(cli("show", exp, "--json", check=True).stdout)["counts"]["SUCCEEDED"] == 2


@pytest.mark.parametrize(("value", "expected"), [
    ({"trackingUrl": "http://127.0.0.1:5000"}, r'mlflow.trackingUrl: unknown key \(did you mean "trackingUri"\?\)'),
    ({"trackingUri": 5000}, r"mlflow.trackingUri: must be a non-empty string, got 5000; write an MLflow tracking URI"),
    ("on", r"mlflow: must be a mapping, got 'on'; write e.g. mlflow: \{trackingUri"),
])  # fmt: skip
def test_bad_mlflow_config_is_refused_before_any_trial_runs(cli: Cli, value: Any, expected: str) -> None:
    result = cli("run", str(cli.config(mlflow=value)), "--port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(expected, result.stdout + result.stderr), result.stdout + result.stderr
    assert cli.experiments() == []


def test_mlflow_not_installed_is_a_config_error_naming_the_pip_command(cli: Cli, tmp_path: Path) -> None:
    # A module named mlflow that cannot be found: a meta path finder refusing it, installed by sitecustomize.
    hook = tmp_path / "hide"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mlflow' or name.startswith('mlflow.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Hide())\n")
    config = cli.config(mlflow={})
    env = {**cli.env, "PYTHONPATH": str(hook)}
    result = subprocess.run([sys.executable, "-m", "tunelab.cli", "run", str(config), "--port", str(free_port())],
                            cwd=cli.workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "mlflow: needs the mlflow package" in output
    assert "pip install 'tunelab[mlflow]'" in output
    assert cli.experiments() == []


def test_a_crashed_manager_resumed_keeps_the_runs_and_logs_each_step_once(cli: Cli) -> None:
    # Four steps, then the trial holds until the test releases it: the manager dies mid-trial whatever
    # the speed of the machine (MLflow's first connection alone can take seconds).
    release = cli.workdir / "release"
    cli.write("steps.py", f"""
        import os, time, tunelab
        tunelab.get_next_parameter()
        for step in range(8):
            tunelab.report_intermediate_result(step / 10)
            while step == 3 and not os.path.exists({str(release)!r}):
                time.sleep(0.05)
        tunelab.report_final_result(0.7)
    """)
    config = cli.config(trialCommand=f"{sys.executable} steps.py", maxTrialNumber=1, trialConcurrency=1, mlflow={})
    cli("create", "--config", str(config), "--port", str(free_port()), check=True)
    (exp,) = cli.experiments()
    info = json.loads((cli.home / exp / "manager.json").read_text())
    uri = f"sqlite:///{cli.home / exp / 'mlflow' / 'mlflow.db'}"
    deadline = time.monotonic() + 90
    log = cli.home / exp / "log" / "manager.log"
    while time.monotonic() < deadline:  # until MLflow holds the trial's run and a few of its steps
        # Not before the manager made the store: two processes creating its tables at once collide.
        runs = _runs(uri) if "mlflow: logging to" in log.read_text() else []
        child = [r for r in runs if r.data.tags.get("tunelab.role") == "trial"]
        if child and mlflow.tracking.MlflowClient().get_metric_history(child[0].info.run_id, "intermediate"):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the trial's run never appeared in MLflow")
    os.kill(info["pid"], signal.SIGKILL)  # the trial goes on, writing to its metrics file
    parent_before, (run_before,) = _by_role(_runs(uri))
    assert run_before.info.status == "RUNNING"
    release.touch()

    cli("resume", exp, "--port", str(free_port()), check=True)
    _wait_status(cli, exp, "DONE")
    cli("stop", exp, check=True)
    parent, (run,) = _by_role(_runs(uri))
    assert (parent.info.run_id, run.info.run_id) == (parent_before.info.run_id, run_before.info.run_id)
    assert (parent.info.status, run.info.status) == ("FINISHED", "FINISHED")
    history = mlflow.tracking.MlflowClient().get_metric_history(run.info.run_id, "intermediate")
    assert sorted(p.step for p in history) == list(range(8))  # the replayed file adds no duplicate
    assert run.data.metrics["final"] == 0.7
