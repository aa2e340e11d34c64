"""Helpers for integration tests: run the real `tunelab` CLI in a private TUNELAB_HOME."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cli:
    home: Path
    workdir: Path
    #: Variables added to every command's environment (e.g. PYTHONPATH for a plugin).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TUNELAB_HOME"] = str(self.home)
        env["COLUMNS"] = "200"
        for name in list(env):
            if name.startswith(("TUNELAB_TRIAL", "NNI_")):
                del env[name]
        return {**env, **self.extra_env}

    def __call__(self, *args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "tunelab.cli", *args], check=False, cwd=self.workdir, env=self.env, capture_output=True,
            text=True, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tunelab {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
        return result

    def write(self, name: str, text: str) -> Path:
        path = self.workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def config(self, name: str = "config.yml", **overrides: Any) -> Path:
        data: dict[str, Any] = {
            "experimentName": "integration",
            "searchSpaceFile": "search_space.json",
            "trialCommand": f"{sys.executable} trial.py",
            "trialCodeDirectory": ".",
            "trialConcurrency": 2,
            "maxTrialNumber": 6,
            "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize", "seed": 3}},
            "trainingService": {"platform": "local"},
        }
        for key, value in overrides.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        path = self.workdir / name
        path.write_text(yaml.safe_dump(data))
        return path

    def experiments(self) -> list[str]:
        return sorted(p.name for p in self.home.iterdir() if p.is_dir()) if self.home.exists() else []


TRIAL = """
import time
import tunelab

params = tunelab.get_next_parameter()
x, depth = params["x"], params["depth"]
for epoch in range(3):
    tunelab.report_intermediate_result((epoch + 1) * 0.1 - (x - 0.3) ** 2)
print("trained with", params)
tunelab.report_final_result({"default": 1.0 - (x - 0.3) ** 2 - 0.01 * depth, "loss": (x - 0.3) ** 2})
"""

SPACE = '{"x": {"_type": "uniform", "_value": [0, 1]}, "depth": {"_type": "choice", "_value": [1, 2, 3]}}'


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    workdir = tmp_path / "project"
    workdir.mkdir()
    runner = Cli(home=tmp_path / "home", workdir=workdir)
    runner.write("trial.py", TRIAL)
    runner.write("search_space.json", SPACE)
    yield runner
    # Stop anything a test left running, so no manager outlives the test.
    for exp in runner.experiments():
        if (runner.home / exp / "manager.json").exists():
            runner("stop", exp, timeout=60)
