"""Trials that misbehave in every way a process can: each ends in the right state, the tail of its stderr
is in its message, and no process of it survives. Real processes, a real SQLite store, no server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.harness import LAB_ENV, Lab

from tunelab.config import parse_config
from tunelab.manager import create_session
from tunelab.runners._containment import Containment
from tunelab.trial import Trial, TrialState

PRELUDE = """
import os, signal, subprocess, sys, time
import tunelab.trial_api as api
case = api.get_next_parameter()["case"]
api.report_intermediate_result(1.0)
sys.stderr.write("preparing " + case + "\\n")
sys.stderr.flush()
"""

CASES: dict[str, str] = {
    "ok": "api.report_final_result(0.5)",
    "exit_nonzero": "sys.stderr.write('ValueError: learning rate exploded\\n'); sys.exit(3)",
    "segfault": "sys.stderr.write('about to crash\\n'); sys.stderr.flush(); os.kill(os.getpid(), signal.SIGSEGV)",
    "exit_before_final": "api.report_intermediate_result(2.0); os._exit(0)",
    "exit_before_final_failing": "api.report_intermediate_result(2.0); sys.stderr.write('lost it\\n'); "
                                 "sys.stderr.flush(); os._exit(7)",
    "hang": "time.sleep(3600)",
    "child_ignores_sigterm": (
        "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)']); time.sleep(3600)"
    ),
    "stdout_flood": (
        "chunk = ('x' * 1023 + '\\n') * 1024\n"
        "for _ in range(100): sys.stdout.write(chunk)\n"
        "sys.stdout.flush(); api.report_final_result(0.25)"
    ),
    "daemon": (
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "        time.sleep(3600)\n"
        "    os._exit(0)\n"
        "os.wait(); api.report_final_result(0.75)"
    ),
}

# Daemons that also drop their environment: no trial id to find them by, only the trial's cgroup holds them.
# Each writes its pid beside the trial so the test can check it died (and kill it if it did not).
ENVLESS_CASES: dict[str, str] = {
    "new_session_empty_env": (
        "p = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)'], start_new_session=True, env={})\n"
        "open(case + '.pid', 'w').write(str(p.pid)); api.report_final_result(0.5)"
    ),
    "double_fork_execve_empty_env": (
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        open(case + '.pid', 'w').write(str(os.getpid()))\n"
        "        os.execve('/bin/sleep', ['sleep', '3600'], {})\n"
        "    os._exit(0)\n"
        "os.wait(); time.sleep(0.2); api.report_final_result(0.5)"
    ),
}


def _trial_source() -> str:
    branches = "\n".join(
        f"{'if' if i == 0 else 'elif'} case == {name!r}:\n" + "\n".join("    " + line for line in body.splitlines())
        for i, (name, body) in enumerate({**CASES, **ENVLESS_CASES}.items())
    )
    return PRELUDE + branches + "\n"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    monkeypatch.setenv(LAB_ENV, lab.token)  # trials inherit it: the leak check finds every one of them
    try:
        yield lab
    finally:
        lab.close()


def run_experiment(lab: Lab, cases: list[str], **overrides: Any) -> dict[str, Trial]:
    lab.write("trial.py", _trial_source())
    data: dict[str, Any] = {
        "searchSpace": {"case": {"_type": "choice", "_value": cases}},
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": str(lab.code),
        "trialConcurrency": len(cases),
        "maxTrialNumber": len(cases),
        "maxTrialDuration": "4s",
        "trialGracePeriod": "1s",
        "tuner": {"name": "GridSearch"},
        "trainingService": {"platform": "local"},
        "experimentWorkingDirectory": str(lab.home),
        "failFastTrials": 0,  # the failing cases may end first; every case must run to its own end
        **overrides,
    }
    session = create_session(parse_config(data), experiment_id="faults")
    try:
        assert session.manager is not None
        asyncio.run(session.manager.run())
        return {t.parameters["case"]: t for t in session.store.list_trials()}
    finally:
        session.close()


def test_every_trial_fault_ends_in_the_right_state_and_leaves_no_process(lab: Lab) -> None:
    trials = run_experiment(lab, list(CASES))
    states = {case: trial.status for case, trial in trials.items()}
    assert states == {
        "ok": TrialState.SUCCEEDED,
        "exit_nonzero": TrialState.FAILED,
        "segfault": TrialState.FAILED,
        "exit_before_final": TrialState.SUCCEEDED,  # exit 0 is success, as in NNI; it has no final value
        "exit_before_final_failing": TrialState.FAILED,
        "hang": TrialState.EARLY_STOPPED,
        "child_ignores_sigterm": TrialState.EARLY_STOPPED,
        "stdout_flood": TrialState.SUCCEEDED,
        "daemon": TrialState.SUCCEEDED,
    }
    messages = {case: trial.message for case, trial in trials.items()}
    assert "code 3" in messages["exit_nonzero"]
    assert "ValueError: learning rate exploded" in messages["exit_nonzero"]
    assert "SIGSEGV" in messages["segfault"]
    assert "about to crash" in messages["segfault"]
    assert "code 7" in messages["exit_before_final_failing"]
    assert "lost it" in messages["exit_before_final_failing"]
    assert "maxTrialDuration" in messages["hang"]
    assert "maxTrialDuration" in messages["child_ignores_sigterm"]
    assert trials["exit_before_final"].final is None
    assert trials["exit_before_final"].intermediate_count == 2  # written before os._exit: none lost
    assert trials["ok"].final == 0.5
    assert trials["stdout_flood"].final == 0.25
    assert trials["daemon"].final == 0.75
    flood = lab.home / "faults" / "trials" / trials["stdout_flood"].id / "stdout"
    assert flood.stat().st_size == 100 * 1024 * 1024
    assert lab.leaked() == [], "a trial process (or its child or daemon) survived"


def _cgroups_usable() -> bool:
    containment = Containment.open()
    if containment is None:
        return False
    containment.close()
    return True


@pytest.mark.skipif(not _cgroups_usable(),
                    reason="needs a writable cgroup v2 hierarchy (root, or a delegated systemd user session)")
def test_daemons_without_the_trial_environment_die_with_the_trial(lab: Lab) -> None:
    trials = run_experiment(lab, list(ENVLESS_CASES))
    assert {case: t.status for case, t in trials.items()} == dict.fromkeys(ENVLESS_CASES, TrialState.SUCCEEDED)
    pids = {case: int((lab.code / f"{case}.pid").read_text()) for case in ENVLESS_CASES}
    survivors = {case: pid for case, pid in pids.items() if _alive(pid)}
    for pid in survivors.values():
        os.kill(pid, signal.SIGKILL)
    assert survivors == {}, "a daemon with an empty environment outlived its trial"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_failed_trial_is_retried_with_the_same_parameters(lab: Lab) -> None:
    CASES["fail_once"] = (
        "marker = os.path.join(os.environ['TUNELAB_OUTPUT_DIR'], 'attempted')\n"
        "if not os.path.exists(marker):\n"
        "    open(marker, 'w').close(); sys.stderr.write('flaky\\n'); sys.exit(1)\n"
        "api.report_final_result(0.9)"
    )
    try:
        trials = run_experiment(lab, ["fail_once", "exit_nonzero"], maxTrialRetries=1)
    finally:
        del CASES["fail_once"]
    assert trials["fail_once"].status == TrialState.SUCCEEDED
    assert trials["fail_once"].attempt == 1
    assert trials["fail_once"].final == 0.9
    assert trials["exit_nonzero"].status == TrialState.FAILED
    assert trials["exit_nonzero"].attempt == 1
    assert len(trials) == 2  # a retry is the same trial, counted once against maxTrialNumber
    assert lab.leaked() == []
