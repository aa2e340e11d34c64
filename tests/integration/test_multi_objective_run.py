"""Two objectives end to end, with real trial processes, the real CLI, server and SQLite: the Pareto set
from best, show, export and the REST API, a crash and resume that keeps the front, and clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from .conftest import Cli, free_port

# Two conflicting objectives of one parameter (accuracy rises with x, cost too) and a second parameter
# that only hurts; the cost is also bounded by a constraint-only key.
TRIAL = """
import time
import tunelab

params = tunelab.get_next_parameter()
x, noise = params["x"], params["noise"]
for epoch in range(3):
    tunelab.report_intermediate_result({"accuracy": (epoch + 1) / 3 * x, "epoch": epoch})
time.sleep(float(params.get("sleep", 0)))
tunelab.report_final_result({"accuracy": x - noise, "cost": x * x + noise, "memory_mb": 100 * x})
"""
SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}, "noise": {"_type": "uniform", "_value": [0, 0.2]}}
OBJECTIVES = [
    {"name": "accuracy", "mode": "maximize"},
    {"name": "cost", "mode": "minimize"},
    {"name": "memory_mb", "constraint": "<= 90"},
]


def _config(cli: Cli, **overrides: Any) -> str:
    cli.write("mo_trial.py", TRIAL)
    cli.write("mo_space.json", json.dumps(SPACE))
    settings: dict[str, Any] = {
        "searchSpaceFile": "mo_space.json", "trialCommand": f"{sys.executable} mo_trial.py",
        "objectives": OBJECTIVES, "tuner": None, "maxTrialNumber": 10, **overrides,
    }
    return str(cli.config("mo.yml", **settings))


def _dominated(point: dict[str, float], by: dict[str, float]) -> bool:
    return (by["accuracy"] >= point["accuracy"] and by["cost"] <= point["cost"]
            and (by["accuracy"] > point["accuracy"] or by["cost"] < point["cost"]))


def test_run_ends_with_a_pareto_set_in_best_show_and_export(cli: Cli) -> None:
    result = cli("run", _config(cli), "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    assert "pareto front" in result.stdout
    (exp,) = cli.experiments()

    best = json.loads(cli("best", exp, check=True).stdout)
    assert best["objectives"] == OBJECTIVES
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert len(trials) == 10
    exported = json.loads(cli("export", exp, check=True).stdout)
    values = {r["trialJobId"]: json.loads(r["value"]) for r in exported}
    assert len(values) == 10
    assert all({"accuracy", "cost", "memory_mb"} <= set(v) for v in values.values())  # every objective exported
    feasible = {tid: v for tid, v in values.items() if v["memory_mb"] <= 90}
    front_ids = {p["trial_id"] for p in best["front"]}
    # The front is exactly the feasible trials no other feasible trial dominates (brute force).
    expected = {tid for tid, v in feasible.items() if not any(_dominated(v, o) for o in feasible.values())}
    assert front_ids == expected, (best, values)
    assert all(p["feasible"] for p in best["front"])
    accuracies = [p["values"]["accuracy"] for p in best["front"]]
    assert accuracies == sorted(accuracies, reverse=True)  # primary objective first, best first

    rows = list(csv.DictReader(io.StringIO(cli("export", exp, "--type", "csv", check=True).stdout)))
    assert list(rows[0]) == ["x", "noise", "accuracy", "cost", "memory_mb", "trialJobId"]

    shown = cli("show", exp, check=True).stdout
    assert "pareto front (accuracy maximize, cost minimize; constraints: memory_mb <= 90)" in shown
    for point in best["front"]:
        assert point["trial_id"] in shown
    as_json = json.loads(cli("show", exp, "--json", check=True).stdout)
    assert {p["trial_id"] for p in as_json["pareto"]["front"]} == front_ids


def test_crash_and_resume_keep_the_front_and_the_api_serves_it(cli: Cli) -> None:
    config = _config(cli, maxTrialNumber=12)
    space = dict(SPACE, sleep={"_type": "choice", "_value": [0.3]})
    cli.write("mo_space.json", json.dumps(space))
    port = free_port()
    cli("create", "--config", config, "--port", str(port), check=True)
    (exp,) = cli.experiments()
    info = json.loads((cli.home / exp / "manager.json").read_text())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        counts = httpx.get(f"http://127.0.0.1:{port}/api/v1/experiment").json()["counts"]
        if counts["SUCCEEDED"] >= 4:
            break
        time.sleep(0.1)
    os.kill(info["pid"], signal.SIGKILL)
    time.sleep(0.3)
    before = json.loads(cli("best", exp, check=True).stdout)["front"]
    assert before

    cli("resume", exp, "--port", str(port), check=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if json.loads(cli("show", exp, "--json", check=True).stdout)["status"] == "DONE":
            break
        time.sleep(0.3)
    info = json.loads((cli.home / exp / "manager.json").read_text())
    headers = {"X-Tunelab-Token": info["token"]} if info.get("token") else {}
    pareto = httpx.get(f"http://127.0.0.1:{port}/api/v1/pareto", params={"points": True}, headers=headers).json()
    assert pareto["objectives"] == OBJECTIVES
    assert len(pareto["points"]) == pareto["eligible"] >= 10
    after = pareto["front"]
    # Nothing on the front before the crash was lost: each point is still there or dominated by a newer one.
    after_ids = {p["trial_id"] for p in after}
    for point in before:
        assert point["trial_id"] in after_ids or any(_dominated(point["values"], p["values"]) for p in after)
    assert {p["trial_id"] for p in pareto["points"] if p["on_front"]} == after_ids
    cli("stop", exp, check=True)


def test_a_final_result_without_a_declared_objective_fails_the_trial_naming_it(cli: Cli) -> None:
    cli.write("mo_trial.py", """
        import tunelab
        tunelab.get_next_parameter()
        tunelab.report_final_result({"accuracy": 0.5, "memory_mb": 3})
    """)
    cli.write("mo_space.json", json.dumps(SPACE))
    config = cli.config("mo.yml", searchSpaceFile="mo_space.json", trialCommand=f"{sys.executable} mo_trial.py",
                        objectives=OBJECTIVES, tuner=None, maxTrialNumber=2, failFastTrials=0)
    cli("run", str(config), "--port", str(free_port()))
    (exp,) = cli.experiments()
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert [t["status"] for t in trials] == ["FAILED", "FAILED"]
    assert "the final result lacks the objective 'cost'" in trials[0]["message"]


def test_config_mistakes_are_clear_errors_before_any_trial(cli: Cli) -> None:
    for objectives, fragment in [
        ([], "objectives: must be a non-empty list of objectives"),
        ([{"name": "accuracy"}], "objectives[0].mode: missing for 'accuracy'"),
        (["accuracy:maximize", "accuracy:minimize"], "contradictory modes"),
    ]:
        result = cli("create", "--config", _config(cli, objectives=objectives), "--port", str(free_port()))
        assert result.returncode == 2, result.stderr
        assert fragment in result.stderr + result.stdout
        assert "Traceback" not in result.stderr
    result = cli("create", "--config", _config(cli, tuner={"name": "TPE"}), "--port", str(free_port()))
    assert result.returncode == 2
    assert "TPE optimises one objective" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert cli.experiments() == [] or all(not (cli.home / e / "manager.json").exists() for e in cli.experiments())


def test_the_digits_example_runs_to_a_front_of_real_models(cli: Cli) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "multi_objective"
    config = yaml.safe_load((example / "config.yml").read_text())
    config.update(trialCodeDirectory=str(example), searchSpaceFile=str(example / "search_space.json"),
                  trialCommand=f"{sys.executable} train.py", maxTrialNumber=6)
    path = cli.workdir / "example.yml"
    path.write_text(yaml.safe_dump(config))
    env_epochs = {"DIGITS_EPOCHS": "2"}
    result = subprocess.run([sys.executable, "-m", "tunelab.cli", "run", str(path), "--port", str(free_port())],
                            cwd=cli.workdir, env={**cli.env, **env_epochs}, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()
    best = json.loads(cli("best", exp, check=True).stdout)
    assert [o["name"] for o in best["objectives"]] == ["accuracy", "params", "latency_ms"]
    assert best["front"]
    for point in best["front"]:
        assert 0 < point["values"]["accuracy"] <= 1
        assert point["values"]["params"] >= 64 + 1 + 10 + 10  # weights of one hidden unit at least
        assert point["value"]["latency_ms"] > 0


def test_one_objective_under_a_constraint_shows_the_best_feasible_trial(cli: Cli) -> None:
    objectives = [{"name": "accuracy", "mode": "maximize"}, {"name": "memory_mb", "constraint": "<= 50"}]
    config = _config(cli, objectives=objectives, tuner={"name": "Random", "classArgs": {"seed": 3}})
    result = cli("run", config, "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()
    values = {r["trialJobId"]: json.loads(r["value"]) for r in json.loads(cli("export", exp, check=True).stdout)}
    feasible = {tid: v for tid, v in values.items() if v["memory_mb"] <= 50}
    assert feasible
    assert len(feasible) < len(values)
    expected = max(feasible, key=lambda tid: feasible[tid]["accuracy"])
    # Not vacuous: a trial breaking the constraint has the higher accuracy, and was best before the fix.
    assert max(v["accuracy"] for v in values.values()) > feasible[expected]["accuracy"]

    best = json.loads(cli("best", exp, check=True).stdout)
    assert (best["trial_id"], best["value"]) == (expected, feasible[expected]["accuracy"])
    shown = json.loads(cli("show", exp, "--json", check=True).stdout)
    assert shown["best"]["id"] == expected
    assert shown["pareto"] is None
    (row,) = json.loads(cli("list", "--all", "--json", check=True).stdout)
    assert row["best"] == feasible[expected]["accuracy"]
