"""The manager log: every manager writes <experiment>/log/manager.log (trial state changes, experiment
status, start/stop/resume, errors); `tunelab log ID` prints it (--tail N lines, -f follows a live one), the
REST API serves it, and `tunelab log ID --trial X` still prints a trial's output."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from .conftest import Cli, free_port


def _wait_status(cli: Cli, exp: str, wanted: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = json.loads(cli("show", exp, "--json", check=True).stdout)["status"]
        if status == wanted:
            return
        time.sleep(0.3)
    raise AssertionError(f"{exp} is {status}, not {wanted}")


def test_run_writes_the_manager_log_and_log_prints_it(cli: Cli) -> None:
    cli.write("flaky.py", """
        import tunelab
        params = tunelab.get_next_parameter()
        if params["depth"] == 3:
            raise SystemExit("depth 3 is not supported")
        tunelab.report_final_result(params["x"])
    """)
    space = '{"x": {"_type": "uniform", "_value": [0, 1]}, "depth": {"_type": "choice", "_value": [1, 3]}}'
    cli.write("search_space.json", space)
    config = cli.config(trialCommand=f"{sys.executable} flaky.py", maxTrialNumber=4, trialConcurrency=1,
                        tuner={"name": "GridSearch"})
    cli("run", str(config), "--id", "logged", "--port", str(free_port()))
    log_file = cli.home / "logged" / "log" / "manager.log"
    assert log_file.is_file()

    done = cli("log", "logged", check=True)
    text = done.stdout
    assert text == log_file.read_text()
    assert "experiment logged created" in text
    trials = json.loads(cli("trial", "ls", "logged", "--json", check=True).stdout)
    for trial in trials:
        assert f"trial {trial['id']} (#{trial['sequence']}) RUNNING" in text
        assert f"trial {trial['id']} (#{trial['sequence']}) {trial['status']}" in text
    assert "FAILED: " in text  # a failed trial's message is logged with its state
    assert "experiment DONE" in text
    assert text.rstrip().splitlines()[-1].endswith("manager stopped; experiment DONE")

    last = cli("log", "logged", "--tail", "2", check=True).stdout
    assert last.splitlines() == text.splitlines()[-2:]
    first = trials[0]["id"]
    assert "RUNNING" not in cli("log", "logged", "--trial", first, "--stderr", check=True).stdout


def test_follow_a_live_manager_and_read_it_over_rest(cli: Cli) -> None:
    config = cli.config(maxTrialNumber=2)
    port = free_port()
    cli("create", "--config", str(config), "--id", "followed", "--port", str(port), check=True)
    follower = subprocess.Popen([sys.executable, "-m", "tunelab.cli", "log", "followed", "-f"], cwd=cli.workdir,
                                env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_status(cli, "followed", "DONE")
        body = httpx.get(f"http://127.0.0.1:{port}/api/v1/logs/manager", timeout=10).json()
        assert "experiment DONE" in body["text"]
        assert body["size"] == len(body["text"].encode())
        tail = httpx.get(f"http://127.0.0.1:{port}/api/v1/logs/manager", params={"tail": 40}, timeout=10).json()
        assert body["text"].endswith(tail["text"])
        assert len(tail["text"].encode()) == 40
        cli("stop", "followed", check=True)
        out, err = follower.communicate(timeout=30)
    finally:
        follower.kill()
        follower.wait()
    assert follower.returncode == 0, err
    assert "experiment followed created" in out
    assert "stop requested" in out
    assert out.rstrip().endswith("manager stopped; experiment DONE")


def test_an_experiment_without_a_manager_log_is_a_clear_error(cli: Cli) -> None:
    cli("run", str(cli.config(maxTrialNumber=1)), "--id", "old", "--port", str(free_port()), check=True)
    (cli.home / "old" / "log" / "manager.log").unlink()
    done = cli("log", "old")
    assert done.returncode != 0
    text = " ".join((done.stdout + done.stderr).split())
    assert "no manager log" in text
    assert "--trial" in text
    assert "Traceback" not in text


def test_a_tuner_error_and_a_resume_are_in_the_manager_log(cli: Cli) -> None:
    cli.write("bad_tuner.py", """
        class BadTuner:
            def update_search_space(self, space):
                pass

            def generate_parameters(self, parameter_id, **kwargs):
                raise RuntimeError("boom in the tuner")

            def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
                pass
    """)
    config = cli.config(tuner={"className": "bad_tuner.BadTuner", "codeDirectory": str(cli.workdir)})
    cli("run", str(config), "--id", "badtuner", "--port", str(free_port()))
    text = cli("log", "badtuner", check=True).stdout
    assert "ERROR tuner failed" in text
    assert "RuntimeError: boom in the tuner" in text
    assert "experiment ERROR: tuner " in text

    cli("resume", "badtuner", "--port", str(free_port()), check=True)
    _wait_status(cli, "badtuner", "ERROR")
    cli("stop", "badtuner", check=True)
    text = cli("log", "badtuner", check=True).stdout
    assert "experiment badtuner resumed (0 trials so far)" in text
    assert text.count("ERROR tuner failed") == 2
