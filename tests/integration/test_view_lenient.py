"""`tunelab view` opens an experiment read-only even when its stored config could not start trials any more:
no trialCommand (a database written by another tool) or a trial code directory that has since been removed."""

from __future__ import annotations

import json
import shutil
import sqlite3

import httpx
import pytest

from .conftest import Cli, free_port


def _finished_experiment(cli: Cli) -> str:
    cli("run", str(cli.config(maxTrialNumber=1, trialConcurrency=1)), "--id", "viewme", "--port",
        str(free_port()), check=True)
    return "viewme"


def _drop_trial_command(cli: Cli, exp_id: str) -> None:
    database = cli.home / exp_id / "tunelab.db"
    with sqlite3.connect(database) as conn:
        (text,) = conn.execute("SELECT config FROM experiments WHERE id = ?", (exp_id,)).fetchone()
        config = json.loads(text)
        config = {k: v for k, v in config.items() if k.lower() != "trialcommand"}
        conn.execute("UPDATE experiments SET config = ? WHERE id = ?", (json.dumps(config), exp_id))


@pytest.mark.parametrize("damage", ["no trialCommand", "code directory removed"])
def test_view_opens_read_only(cli: Cli, damage: str) -> None:
    exp_id = _finished_experiment(cli)
    if damage == "no trialCommand":
        _drop_trial_command(cli, exp_id)
    else:
        shutil.rmtree(cli.workdir)
        cli.workdir.mkdir()
    port = free_port()
    started = cli("view", exp_id, "--port", str(port))
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/api/v1/experiment", timeout=10).json()
        assert body["id"] == exp_id
        assert sum(body["counts"].values()) == 1
    finally:
        cli("stop", exp_id, timeout=60)
