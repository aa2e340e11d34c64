"""Trials run with the interpreter the user launched tunelab with, even from a venv that is not activated.

A real virtual environment is made here; a marker module lives only in its site-packages, and tunelab is
reached from it through a ``.pth`` file (as an install would). tunelab is started through the venv's
``bin/tunelab`` with a PATH that does not name the venv: the trial's ``python3`` must still be the venv's.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from tests.integration.conftest import Cli, free_port

MARKER = "tunelab_venv_marker_x7"


def _make_venv(root: Path) -> Path:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    purelib.mkdir(parents=True, exist_ok=True)
    # tunelab (an editable install in the test's own environment) is visible from the new venv; the marker
    # module is visible only there.
    outer = [p for p in site.getsitepackages() if "site-packages" in p]
    (purelib / "outer.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in outer))
    (purelib / f"{MARKER}.py").write_text("WHERE = 'the venv'\n")
    script = root / "bin" / "tunelab"
    script.write_text(f"#!{root / 'bin' / 'python'}\nimport sys\nfrom tunelab.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return root


def test_python3_in_trial_command_is_the_venv_of_an_unactivated_tunelab(cli: Cli, tmp_path: Path) -> None:
    env_root = _make_venv(tmp_path / "uservenv")
    config = cli.config(trialCommand=f'python3 -c "import {MARKER}"', maxTrialNumber=2, trialConcurrency=1)
    env = cli.env
    env.pop("VIRTUAL_ENV", None)
    bin_dir = str(env_root / "bin")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != bin_dir)
    assert subprocess.run(["python3", "-c", f"import {MARKER}"], check=False, env=env, capture_output=True).returncode != 0

    result = subprocess.run([str(env_root / "bin" / "tunelab"), "run", str(config), "--port", str(free_port())],
                            check=False, cwd=cli.workdir, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"python3 -> {env_root / 'bin' / 'python3'}" in result.stdout
    assert result.stdout.count("python3 -> ") == 1
    (exp,) = cli.experiments()
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert [t["status"] for t in trials] == ["SUCCEEDED", "SUCCEEDED"], [t["message"] for t in trials]


def test_an_absolute_interpreter_in_trial_command_is_left_alone(cli: Cli, tmp_path: Path) -> None:
    env_root = _make_venv(tmp_path / "uservenv")
    # This interpreter (the test's own) lacks the marker: it must be the one that runs, not the venv's.
    config = cli.config(trialCommand=f'{sys.executable} -c "import {MARKER}"', maxTrialNumber=1)
    env = cli.env
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run([str(env_root / "bin" / "tunelab"), "run", str(config), "--port", str(free_port())],
                            check=False, cwd=cli.workdir, env=env, capture_output=True, text=True,
                            timeout=120)
    (exp,) = cli.experiments()
    (trial,) = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert trial["status"] == "FAILED", result.stdout
    assert "ModuleNotFoundError" in trial["message"]
