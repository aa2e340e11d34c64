"""An NNI project written for NNI (``nni_project/``: v2 YAML, v1 YAML, a search space with every ``_type``
and a nested choice, a trial script with ``import nni``) runs unchanged through ``tunelab run``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import free_port

PROJECT = Path(__file__).with_name("nni_project")


def copy_project(directory: Path) -> Path:
    """A fresh copy of ``nni_project/`` (configs, search space, trial script: NNI users' files as is)."""
    shutil.copytree(PROJECT, directory)
    return directory


def cli_env(home: Path) -> dict[str, str]:
    """The environment of a user shell: ``python3`` on PATH is this venv's, as after ``source activate``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env["TUNELAB_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def tunelab_cli(*args: str, home: Path, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tunelab.cli", *args], cwd=cwd, env=cli_env(home),
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize(("config", "port"), [("config.yml", 18310), ("config_v1.yml", 18311)])
def test_nni_project_runs_unchanged(tmp_path: Path, config: str, port: int) -> None:
    project = copy_project(tmp_path / "project")
    home = tmp_path / "home"
    result = tunelab_cli("run", config, "--port", str(port), home=home, cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    if config == "config_v1.yml":
        assert "v2 equivalent" in result.stderr
        assert "trainingService" in result.stderr
    (exp_dir,) = [p for p in home.iterdir() if p.is_dir()]
    listing = tunelab_cli("trial", "ls", exp_dir.name, "--json", home=home, cwd=project)
    assert listing.returncode == 0, listing.stderr
    trials = json.loads(listing.stdout)
    assert [t["status"] for t in trials] == ["SUCCEEDED"] * 4
    for trial in trials:
        assert trial["final_data"]["accuracy"] == pytest.approx(1 - trial["final"])
        assert trial["intermediate_count"] == 3
        stdout = (exp_dir / "trials" / trial["id"] / "stdout").read_text()
        assert f"PRINTED-BY-TRIAL {trial['sequence']}" in stdout  # print() stays in stdout (NNI #3141)


def test_nni_only_platform_is_a_clear_error(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    text = (project / "config.yml").read_text().replace("platform: local", "platform: remote")
    (project / "remote.yml").write_text(text)
    result = tunelab_cli("run", "remote.yml", "--port", str(free_port()), home=tmp_path / "home", cwd=project)
    assert result.returncode != 0
    assert "remote" in result.stderr
    assert "local" in result.stderr
    assert "dask" in result.stderr
