"""A trial that outlives its manager is re-attached by ``resume`` and its values keep arriving live."""

from __future__ import annotations

import os
import signal
import socket

from tunelab.trial import TrialState

from .harness import Lab, free_port, pid_alive, wait_for

TRIAL = """
import os
import time
import tunelab.trial_api as api

x = api.get_next_parameter()["x"]
i = 0
while not os.path.exists({release!r}):
    api.report_intermediate_result(x + i)
    i += 1
    time.sleep(0.05)
api.report_final_result(x)
"""


def _count(lab: Lab, exp_id: str) -> int:
    with lab.store(exp_id) as store:
        return store.list_trials()[0].intermediate_count


def test_reattached_trial_keeps_reporting_and_loses_no_value(lab: Lab) -> None:
    release = lab.code / "release"
    lab.write("trial.py", TRIAL.format(release=str(release)))
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=1)
    port = free_port()
    assert lab.create(config, "att", port=port).returncode == 0
    info = wait_for(lambda: lab.manager_info("att"), 60, "manager.json")
    pid = int(info["pid"])
    # Localhost by default: bound to 127.0.0.1 alone (another loopback address is refused), no token.
    assert (info["host"], info["token"]) == ("127.0.0.1", None)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.2", port)) != 0
    wait_for(lambda: _count(lab, "att") >= 5, 60, "the first values")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 30, "the manager to die")
    metrics_file = next((lab.home / "att" / "trials").iterdir()) / ".tunelab-metrics.jsonl"
    written = len(metrics_file.read_bytes().splitlines())
    # The trial keeps reporting to its file while no manager listens: these values must not be lost.
    wait_for(lambda: len(metrics_file.read_bytes().splitlines()) >= written + 10, 30, "values while down")

    assert lab.resume("att", port=port).returncode == 0
    wait_for(lambda: lab.events("att", "trial_reattached"), 60, "the re-attach")
    at_resume = _count(lab, "att")
    # Values stored while the trial is still RUNNING arrive over the live channel, not from the exit replay.
    wait_for(lambda: _count(lab, "att") >= at_resume + 20, 60, "live values after the re-attach")
    assert lab.trial_states("att") == {next(iter(lab.trial_states("att"))): TrialState.RUNNING}
    release.touch()
    wait_for(lambda: all(s.is_finished for s in lab.trial_states("att").values()), 60, "the trial to end")

    trial_id = next(iter(lab.trial_states("att")))
    with lab.store("att") as store:
        trial = store.get_trial(trial_id)
        curve = [(m.sequence, m.value) for m in store.get_metrics(trial_id) if m.kind.value == "PERIODICAL"]
    assert trial.status == TrialState.SUCCEEDED
    x = trial.parameters["x"]
    assert [s for s, _ in curve] == list(range(len(curve)))
    assert all(value == x + seq for seq, value in curve)
    assert len(curve) == len(metrics_file.read_bytes().splitlines()) - 1  # every value the trial wrote
    lab.stop("att")
    assert lab.leaked() == []
