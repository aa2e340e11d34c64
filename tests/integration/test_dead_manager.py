"""A killed manager is reported as such, and a lost race names the live winner (issue 10, items 20, 21)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.test_cli_robust import EXP, invoke, make_experiment

from tunelab.base import ConflictError
from tunelab.manager import ManagerInfo, ManagerLock, write_info
from tunelab.trial import ExperimentStatus

HINT = f"manager not running; tunelab resume {EXP}"


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def killed_manager(exp_dir: Path) -> int:
    """What `kill -9` of a manager leaves: its manager.json (a dead pid) and an unlocked lock file."""
    pid = dead_pid()
    (exp_dir / "manager.lock").write_text(str(pid))
    write_info(exp_dir, ManagerInfo(experiment_id=exp_dir.name, pid=pid, host="127.0.0.1", port=1,
                                    url="http://127.0.0.1:1", mode="resume", started_at=time.time()))
    return pid


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    killed_manager(make_experiment(home, status=ExperimentStatus.RUNNING))
    make_experiment(home, "finished", status=ExperimentStatus.DONE)
    return home


def test_show_says_the_manager_is_not_running(home: Path) -> None:
    result = invoke(home, "show", EXP)
    assert result.exit_code == 0, result.output
    assert "RUNNING" in result.output
    assert HINT in result.output


def test_show_json_has_the_field(home: Path) -> None:
    data = json.loads(invoke(home, "show", EXP, "--json").output)
    assert data["manager_running"] is False
    assert data["hint"] == HINT
    done = json.loads(invoke(home, "show", "finished", "--json").output)
    assert done["manager_running"] is False
    assert done["hint"] is None


def test_list_shows_the_dead_manager(home: Path) -> None:
    result = invoke(home, "list")
    assert result.exit_code == 0, result.output
    assert EXP in result.output
    assert HINT in result.output
    assert "finished" not in result.output
    rows = {row["id"]: row for row in json.loads(invoke(home, "list", "--all", "--json").output)}
    assert rows[EXP]["hint"] == HINT
    assert rows[EXP]["running"] is False
    assert rows["finished"]["hint"] is None


def test_losing_a_resume_race_names_the_live_winner(tmp_path: Path) -> None:
    exp_dir = make_experiment(tmp_path / "home", status=ExperimentStatus.RUNNING)
    dead = killed_manager(exp_dir)  # the manager.json of the manager both resumes replace
    winner = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\nfrom tunelab.manager import ManagerLock\n"
         f"lock = ManagerLock(Path({str(exp_dir)!r}))\nlock.acquire({EXP!r})\nprint('locked', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert winner.stdout is not None
        assert winner.stdout.readline().strip() == "locked"
        with pytest.raises(ConflictError) as caught:
            ManagerLock(exp_dir).acquire(EXP)
        assert f"pid {winner.pid}" in caught.value.message
        assert f"pid {dead}" not in caught.value.message
    finally:
        winner.kill()
        winner.wait()
        if winner.stdout is not None:
            winner.stdout.close()
