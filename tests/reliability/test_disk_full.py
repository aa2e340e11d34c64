"""A full disk stops the experiment with a clear ERROR and a database that resumes; a second manager on
the same experiment is refused, not let in to corrupt it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunelab.trial import ExperimentStatus, TrialState

from .harness import Lab, free_port, pid_alive, wait_for

TRIAL = """
import time
import tunelab.trial_api as api
x = api.get_next_parameter()["x"]
for i in range(40):
    api.report_intermediate_result({"default": x + i, "pad": "p" * 2000})
    time.sleep(0.01)
api.report_final_result(x)
"""
DISK_BYTES = 8 * 1024 * 1024
BALLAST_BYTES = 6 * 1024 * 1024  # leaves ~2 MB: room to start, not for 12 trials of ~160 KB each


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_stops_with_a_clear_error_and_resumes(small_disk: Path) -> None:
    lab = Lab(small_disk)
    try:
        lab.write("trial.py", TRIAL)
        ballast = small_disk / "ballast"
        ballast.write_bytes(b"\0" * BALLAST_BYTES)
        config = lab.config(trial="trial.py", trialConcurrency=2, maxTrialNumber=12)
        port = free_port()
        assert lab.create(config, "full", port=port).returncode == 0
        pid = int(wait_for(lambda: lab.manager_info("full"), 60, "manager.json")["pid"])

        wait_for(lambda: not pid_alive(pid), 120, "the manager to stop on the full disk")
        with lab.store("full") as store:
            record = store.get_experiment()
            before = {t.id: (t.status, t.final) for t in store.list_trials()}
        print(f"\ndisk full: status {record.status.value}: {record.error}")
        assert record.status == ExperimentStatus.ERROR
        assert "could not be written" in (record.error or "")
        assert "could not be written (the disk is full)" in (record.error or "")  # told by SQLITE_FULL
        assert "tunelab resume full" in (record.error or "")
        assert lab.leaked() == [], "trials survived the stop"
        check = sqlite3.connect(f"file:{lab.exp_dir('full') / 'tunelab.db'}?mode=ro", uri=True)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        check.close()

        ballast.unlink()
        assert lab.resume("full", port=port).returncode == 0
        wait_for(lambda: lab.ended_since("full", 0.0), 120, "the resumed experiment to finish")
        with lab.store("full") as store:
            after = {t.id: (t.status, t.final) for t in store.list_trials()}
        for trial_id, (status, final) in before.items():
            if status.is_finished:
                assert after[trial_id] == (status, final), "a trial finished before the full disk changed"
        assert len(after) == 12
        assert all(status == TrialState.SUCCEEDED for status, _ in after.values()), after
        lab.stop("full")
    finally:
        lab.close()


def test_second_manager_is_refused(lab: Lab) -> None:
    lab.write("trial.py", "import time, tunelab.trial_api as api\napi.get_next_parameter()\ntime.sleep(600)\n")
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=1)
    port = free_port()
    assert lab.create(config, "solo", port=port).returncode == 0
    info = wait_for(lambda: lab.manager_info("solo"), 60, "manager.json")
    db = lab.exp_dir("solo") / "tunelab.db"
    before = db.stat().st_mtime_ns

    second = lab.resume("solo", port=free_port())
    assert second.returncode == 1, second.stdout + second.stderr
    text = " ".join((second.stdout + second.stderr).split())
    assert "already run by another manager" in text
    assert f"pid {info['pid']}" in text
    assert "tunelab stop solo" in text
    assert "Traceback" not in text
    foreground = lab.cli("resume", "solo", "--foreground", "--port", str(free_port()))
    assert foreground.returncode == 1
    assert "already run by another manager" in " ".join(foreground.stderr.split())
    assert pid_alive(int(info["pid"]))  # the first manager is untouched
    assert lab.status("solo") in (ExperimentStatus.RUNNING, ExperimentStatus.NO_MORE_TRIAL)
    assert list(lab.trial_states("solo").values()) == [TrialState.RUNNING]
    assert db.stat().st_mtime_ns >= before
    lab.stop("solo")
