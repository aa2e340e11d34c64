"""Bad input from the foundation issue: each a clear message naming field and value, exit code 2, no
traceback, and nothing stored lost."""

from __future__ import annotations

import json
import socket
import sys
from typing import Any

import pytest

from .conftest import Cli, free_port

SPACE_CASES = [
    ({"lr": {"_type": "logunifrom", "_value": [0.1, 1]}}, ["searchSpace", "lr", "logunifrom", "loguniform"]),
    ({"lr": {"_type": "loguniform", "_value": [0, 0.1]}}, ["lr", "loguniform", "0"]),
    ({"x": {"_type": "uniform", "_value": [1, 0.5]}}, ["x", "uniform", "1"]),
    ({"c": {"_type": "choice", "_value": []}}, ["c", "choice", "at least one option", "[]"]),
    ({"q": {"_type": "quniform", "_value": [0, 1, 0]}}, ["q", "quniform"]),
    ({"n": {"_type": "randint", "_value": [0.5, 10]}}, ["n", "randint", "0.5"]),
    ({"m": {"_type": "choice", "_value": [{"lr": {"_type": "uniform", "_value": [0, 1]}}, {"_name": "b"}]}},
     ["m", "_name"]),
]


@pytest.mark.parametrize(("space", "needles"), SPACE_CASES, ids=[c[0].__repr__()[:40] for c in SPACE_CASES])
def test_bad_search_space(cli: Cli, space: dict[str, Any], needles: list[str]) -> None:
    cli.write("search_space.json", json.dumps(space))
    result = cli("run", str(cli.config()), "--port", str(free_port()))
    assert_user_error(result, needles)
    assert cli.experiments() == []


CONFIG_CASES = [
    ({"trialCommand": None}, ["trialCommand"]),
    ({"trialConcurrency": 0}, ["trialConcurrency", "0"]),
    ({"trialConcurency": 2}, ["trialConcurency", "did you mean", "trialConcurrency"]),
    ({"maxExperimentDuration": "2x"}, ["maxExperimentDuration", "2x"]),
    ({"searchSpaceFile": "missing.json"}, ["searchSpaceFile", "missing.json"]),
    ({"trialCodeDirectory": "no/such/dir"}, ["trialCodeDirectory", "no/such/dir"]),
]


@pytest.mark.parametrize(("overrides", "needles"), CONFIG_CASES, ids=[next(iter(c[0])) for c in CONFIG_CASES])
def test_bad_config(cli: Cli, overrides: dict[str, Any], needles: list[str]) -> None:
    result = cli("run", str(cli.config(**overrides)), "--port", str(free_port()))
    assert_user_error(result, needles)
    assert cli.experiments() == []


def test_port_in_use_suggests_another_and_stores_nothing(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = cli("run", str(cli.config()), "--port", str(port))
        detached = cli("create", "--config", str(cli.config()), "--port", str(port))
    assert_user_error(result, [str(port), "--port"])
    assert_user_error(detached, [str(port), "--port"])
    assert cli.experiments() == []


def test_bad_metric_fails_the_trial_with_a_clear_type_error(cli: Cli) -> None:
    cli.write("bad_metric.py", """
        import tunelab
        tunelab.get_next_parameter()
        tunelab.report_final_result("0.93")
    """)
    cli.write("bad_dict.py", """
        import tunelab
        tunelab.get_next_parameter()
        tunelab.report_final_result({"accuracy": 0.9})
    """)
    for script in ("bad_metric.py", "bad_dict.py"):
        config = cli.config(f"{script}.yml", trialCommand=f"{sys.executable} {script}", maxTrialNumber=1)
        assert cli("run", str(config), "--port", str(free_port())).returncode == 1  # no trial succeeded
    for exp in cli.experiments():
        (trial,) = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
        assert trial["status"] == "FAILED"
        assert "TypeError" in trial["message"]
    messages = " ".join(
        json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)[0]["message"] for exp in cli.experiments()
    )
    assert "must be a number, got str '0.93'" in messages
    assert "'default' key" in messages


def test_unknown_experiment_and_usage_errors(cli: Cli) -> None:
    assert_user_error(cli("show", "nope1234"), ["nope1234", "not found"])
    assert_user_error(cli("show", "../etc"), ["../etc", "invalid"])
    assert cli("run").returncode == 2  # missing argument: click's usage error


def test_bad_config_does_not_touch_existing_experiments(cli: Cli) -> None:
    assert cli("run", str(cli.config()), "--port", str(free_port())).returncode == 0
    (exp,) = cli.experiments()
    before = cli("export", exp, check=True).stdout
    result = cli("run", str(cli.config(trialConcurrency=-1)), "--port", str(free_port()))
    assert result.returncode == 2
    assert cli.experiments() == [exp]
    assert cli("export", exp, check=True).stdout == before


def assert_user_error(result: Any, needles: list[str]) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    text = " ".join((result.stderr + result.stdout).split())
    for needle in needles:
        assert needle.lower() in text.lower(), (needle, text)
