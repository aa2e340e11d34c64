"""An experiment kept in PostgreSQL: run, list, export, and resume after the manager is killed."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid

import pytest

from .conftest import Cli, free_port

pytestmark = pytest.mark.postgres

URL = os.environ.get("TUNELAB_TEST_POSTGRES_URL")


@pytest.fixture
def pg_url() -> str:
    if not URL:
        pytest.skip("set TUNELAB_TEST_POSTGRES_URL (scripts/start-test-postgres.sh) to run")
    return URL


def test_postgres_experiment_resumes_after_a_manager_kill(cli: Cli, pg_url: str) -> None:
    cli.write("slow.py", """
        import time, tunelab
        params = tunelab.get_next_parameter()
        time.sleep(0.3)
        tunelab.report_intermediate_result(params["x"] / 2)
        tunelab.report_final_result(params["x"])
    """)
    exp = "pg" + uuid.uuid4().hex[:10]  # the database is shared between test runs: a fresh id each time
    config = cli.config(trialCommand=f"{sys.executable} slow.py", maxTrialNumber=8)
    port = free_port()
    cli("create", "--config", str(config), "--port", str(port), "--storage", pg_url, "--id", exp, check=True)
    assert not (cli.home / exp / "tunelab.db").exists()  # nothing in SQLite
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
        if sum(t["status"] == "SUCCEEDED" for t in trials) >= 2:
            break
        time.sleep(0.2)
    info = json.loads((cli.home / exp / "manager.json").read_text())
    os.kill(info["pid"], signal.SIGKILL)
    time.sleep(0.3)
    finished = {t["id"]: t["final"] for t in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
                if t["status"] == "SUCCEEDED"}
    assert len(finished) >= 2

    cli("resume", exp, "--port", str(port), check=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if json.loads(cli("show", exp, "--json", check=True).stdout)["status"] == "DONE":
            break
        time.sleep(0.3)
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert len(trials) == 8
    assert all(t["status"] == "SUCCEEDED" for t in trials)
    assert all(trials_by_id["final"] == finished[tid] for tid, trials_by_id in
               ((t["id"], t) for t in trials) if tid in finished)
    cli("stop", exp, check=True)

    listed = json.loads(cli("list", "--all", "--json", check=True).stdout)
    assert [row["trials"] for row in listed if row["id"] == exp] == [8]
    exported = json.loads(cli("export", exp, "--intermediate", check=True).stdout)
    assert len(exported) == 8
    assert all(len(r["intermediate"]) == 1 + 1 for r in exported)  # NNI appends the final metric
