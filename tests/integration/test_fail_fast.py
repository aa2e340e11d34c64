"""A user's first run whose trials all fail: it stops early, says why everywhere, and resumes once fixed."""

from __future__ import annotations

import json
import sys

from tests.integration.conftest import Cli, free_port


def test_a_run_whose_trials_all_fail_stops_early_and_says_why(cli: Cli) -> None:
    config = cli.config(trialCommand=f'{sys.executable} -c "import fixme_marker"', maxTrialNumber=8,
                        trialConcurrency=1)
    result = cli("run", str(config), "--port", str(free_port()))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # the terminal wraps long lines
    (exp,) = cli.experiments()
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert [t["status"] for t in trials] == ["FAILED"] * 3  # not 8
    first = trials[0]["id"]
    command = f"tunelab log {exp} -T {first} --stderr"
    assert "the first 3 trials all failed: ModuleNotFoundError: No module named 'fixme_marker'" in out
    assert "failed 3" in out  # the progress line
    assert "no trial succeeded: 3 of 3 trials failed: ModuleNotFoundError" in out
    assert command in out

    # The command printed really prints the trial's stderr.
    logged = cli(*command.split()[1:], check=True).stdout
    assert "ModuleNotFoundError: No module named 'fixme_marker'" in logged

    shown = " ".join(cli("show", exp, check=True).stdout.split())
    assert "status: ERROR" in shown
    assert "failures: 3 of 3 trials failed: ModuleNotFoundError: No module named 'fixme_marker'" in shown
    assert command in shown
    assert ("install it into the Python the trial command runs: python -m pip install fixme_marker (or, if it "
            "is a module of yours, put it in trialCodeDirectory)") in shown
    listed = json.loads(cli("list", "--all", "--json", check=True).stdout)
    assert [(row["id"], row["failed"]) for row in listed] == [(exp, 3)]
    assert "failed" in cli("list", "--all", check=True).stdout

    # The user fixes the cause; resume runs the rest of the budget.
    cli.write("fixme_marker.py", "")
    resumed = cli("resume", exp, "--foreground", "--port", str(free_port()), timeout=120)
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert [t["status"] for t in trials] == ["FAILED"] * 3 + ["SUCCEEDED"] * 5


def test_run_exits_non_zero_when_no_trial_succeeded_even_with_fail_fast_off(cli: Cli) -> None:
    config = cli.config(trialCommand=f'{sys.executable} -c "raise SystemExit(3)"', maxTrialNumber=2,
                        trialConcurrency=1, failFastTrials=0)
    result = cli("run", str(config), "--port", str(free_port()))
    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "DONE" in out
    assert "no trial succeeded: 2 of 2 trials failed: exited with code 3" in out
