"""``--port 0`` lets the system choose the port: the manager must serve, announce and accept the port it
really bound (Host allow-list, manager.json, the printed URL), so the CLI can still reach and stop it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from tests.reliability.harness import Lab, pid_alive, wait_for

TRIAL = """
import time
import tunelab.trial_api as api
api.get_next_parameter()
time.sleep(600)
"""


def test_create_on_port_zero_then_stop(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.write("trial.py", TRIAL)
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=2)
    try:
        started = lab.create(config, "zero", port=0)
        assert started.returncode == 0, started.stdout + started.stderr
        info = lab.manager_info("zero")
        assert info is not None
        port = int(info["port"])
        assert port > 0
        assert info["url"] == f"http://127.0.0.1:{port}/"
        printed = re.search(r"http://127\.0\.0\.1:(\d+)/", started.stdout)
        assert printed is not None, started.stdout
        assert int(printed.group(1)) == port, started.stdout
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/experiment", timeout=30)
        assert response.status_code == 200, response.text
        shown = lab.cli("show", "zero")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        stopped = lab.cli("stop", "zero", timeout=60)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        wait_for(lambda: not pid_alive(int(info["pid"])), 60, "the manager to exit after stop")
        assert lab.manager_info("zero") is None
    finally:
        lab.close()
