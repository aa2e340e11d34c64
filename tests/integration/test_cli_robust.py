"""Small CLI robustness rules (issue 10, items 22 and 23), in-process over an offline SQLite experiment."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.storage import ExperimentRecord, open_store
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

EXP = "robust1"
CONFIG = {"tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}}, "trialConcurrency": 1, "maxTrialNumber": 3,
          "trialCommand": "true", "trainingService": {"platform": "local"}, "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}}


def make_experiment(home: Path, exp_id: str = EXP, status: ExperimentStatus = ExperimentStatus.DONE,
                    trials: int = 3) -> Path:
    """An experiment directory with a database of succeeded trials (best of the first three: t2 = 0.9)."""
    exp_dir = home / exp_id
    exp_dir.mkdir(parents=True)
    store = open_store(exp_dir, exp_id)
    try:
        store.create_experiment(ExperimentRecord(id=exp_id, name="robust", config=CONFIG, status=status,
                                                 created_at=time.time()))
        for i, value in enumerate([0.5, 0.2, 0.9, *[0.1] * (trials - 3)][:trials]):
            store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters={"x": value}, status=TrialState.SUCCEEDED,
                                     created_at=100.0 + i, started_at=100.0 + i, ended_at=105.0 + i))
            store.set_final(Metric(f"t{i}", MetricKind.FINAL, 0, value, value, 106.0 + i))
    finally:
        store.close()
    return exp_dir


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    make_experiment(home)
    return home


def invoke(home: Path, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"TUNELAB_HOME": str(home), "COLUMNS": "200"})


def assert_user_error(result: Any, needles: list[str]) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


# -- item 22: `best --json` ----------------------------------------------------------------------------------
def test_best_takes_json(home: Path) -> None:
    result = invoke(home, "best", EXP, "--json")
    assert result.exit_code == 0, result.output
    best = json.loads(result.output)
    assert best["trial_id"] == "t2"
    assert best["value"] == pytest.approx(0.9)


# -- item 23: `trial ls --head -1`, empty ids ----------------------------------------------------------------
@pytest.mark.parametrize("option", ["--head", "--tail"])
@pytest.mark.parametrize("value", ["-1", "0"])
def test_trial_ls_head_tail_must_be_positive(home: Path, option: str, value: str) -> None:
    assert_user_error(invoke(home, "trial", "ls", EXP, option, value), [option, value, "positive"])


def test_trial_ls_head_ranks(home: Path) -> None:
    result = invoke(home, "trial", "ls", EXP, "--head", "1", "--json")
    assert result.exit_code == 0, result.output
    assert [t["id"] for t in json.loads(result.output)] == ["t2"]


@pytest.mark.parametrize("command", [["show"], ["trial", "ls"], ["best"], ["export"]])
def test_empty_experiment_id_is_refused(home: Path, command: list[str]) -> None:
    assert_user_error(invoke(home, *command, ""), ["experiment id ''", "invalid"])


def test_run_with_empty_id_is_refused(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "maxTrialNumber": 1}))
    before = sorted(p.name for p in home.iterdir())
    assert_user_error(invoke(home, "run", str(config), "--id", "", "--port", "18598"), ["experiment id ''", "invalid"])
    assert sorted(p.name for p in home.iterdir()) == before
