"""A third-party platform, as a package would ship it: a config class, a runner of its own and an entry
point in ``tunelab.platforms``. No tunelab module names it, yet ``trainingService: {platform: toy}`` runs an
experiment through it, with its config keys checked like tunelab's own."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import Cli, free_port

PLUGIN = '''
"""A toy platform: trials as plain subprocesses started by this runner (no tunelab runner code used)."""
import asyncio
import dataclasses
import os
import signal
from typing import ClassVar

from tunelab.config import ConfigBase, Invalid, Platform, spec
from tunelab.runners import RunningHandle, TrialExit


def _label(value):
    if not isinstance(value, str) or not value.isidentifier():
        raise Invalid("must be a word")
    return value


@dataclasses.dataclass
class ToyConfig(ConfigBase):
    platform: ClassVar[str] = "toy"
    label: str = dataclasses.field(default="toy", metadata=spec(check=_label, fix="write e.g. label: blue"))


class ToyRunner:
    def __init__(self, label, experiment_dir):
        self.label, self.experiment_dir, self.processes = label, experiment_dir, {}

    async def open(self):
        pass

    async def close(self):
        pass

    def free_slots(self, gpu_number):
        return True

    async def start(self, launch):
        launch.trial_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **launch.env, "TOY_LABEL": self.label}
        process = await asyncio.create_subprocess_shell(
            launch.command, cwd=launch.code_dir, env=env, start_new_session=True,
            stdout=open(launch.trial_dir / "stdout", "wb"), stderr=open(launch.trial_dir / "stderr", "wb"))
        self.processes[launch.trial_id] = process
        return RunningHandle(trial_id=launch.trial_id, pid=process.pid)

    async def wait(self, handle):
        code = await self.processes.pop(handle.trial_id).wait()
        return TrialExit(trial_id=handle.trial_id, returncode=code)

    async def kill(self, handle, *, grace=5.0, reason="killed"):
        process = self.processes.get(handle.trial_id)
        if process is not None and process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)

    def adopt(self, trial_id, pid, trial_dir, env):
        raise RuntimeError("the toy runner cannot re-attach")

    def channel_env(self):
        return {}


def make_runner(service, config, experiment_dir, sink):
    return ToyRunner(service.label, experiment_dir)


PLATFORM = Platform("toy", ToyConfig, make_runner)
'''

TRIAL = """
import os
import tunelab
params = tunelab.get_next_parameter()
tunelab.report_intermediate_result(params["x"] / 2)
with open(f"seen-{os.environ['TOY_LABEL']}-{os.environ['NNI_PLATFORM']}-{params['x']:.4f}", "w"):
    pass
tunelab.report_final_result(params["x"])
"""


@pytest.fixture
def toy_cli(cli: Cli, tmp_path: Path) -> Cli:
    site = tmp_path / "plugin-site"
    (site / "toy_platform-0.1.dist-info").mkdir(parents=True)
    (site / "toy_platform.py").write_text(textwrap.dedent(PLUGIN))
    (site / "toy_platform-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-platform\nVersion: 0.1\n")
    (site / "toy_platform-0.1.dist-info" / "entry_points.txt").write_text("[tunelab.platforms]\ntoy = toy_platform:PLATFORM\n")
    cli.extra_env["PYTHONPATH"] = str(site)
    return cli


def test_a_platform_from_an_entry_point_runs_an_experiment(toy_cli: Cli) -> None:
    toy_cli.write("toy_trial.py", TRIAL)
    config = toy_cli.config(trialCommand=f"{sys.executable} toy_trial.py", maxTrialNumber=3, trialConcurrency=2,
                            trainingService={"platform": "toy", "label": "blue"})
    result = toy_cli("run", str(config), "--port", str(free_port()))
    assert result.returncode == 0, result.stdout + result.stderr
    (exp,) = toy_cli.experiments()
    trials = json.loads(toy_cli("trial", "ls", exp, "--json", check=True).stdout)
    assert [t["status"] for t in trials] == ["SUCCEEDED"] * 3
    # Each trial ran under the toy runner (its variable), told the platform's name, and reported through
    # tunelab's metrics file though the runner has no metric channel.
    seen = sorted(p.name for p in toy_cli.workdir.glob("seen-*"))
    assert seen == sorted(f"seen-blue-toy-{t['final']:.4f}" for t in trials)
    assert all(t["intermediate_count"] == 1 for t in trials)
    shown = json.loads(toy_cli("show", exp, "--json", check=True).stdout)
    assert shown["config"]["trainingService"] == {"platform": "toy", "label": "blue"}


@pytest.mark.parametrize(("service", "expected"), [
    ({"platform": "toy", "label": "not a word"}, "trainingService.label: must be a word, got 'not a word'; write e.g. label: blue"),
    ({"platform": "toy", "colour": "blue"}, 'trainingService.colour: unknown key; the keys allowed here are label'),
    ({"platform": "toyy"}, 'must be one of local, dask, toy, got \'toyy\' (did you mean "toy"?)'),
])  # fmt: skip
def test_the_plugin_platform_config_is_checked_like_tunelab_own(toy_cli: Cli, service: dict[str, str],
                                                                 expected: str) -> None:
    result = toy_cli("run", str(toy_cli.config(trainingService=service)), "--port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in result.stdout + result.stderr
    assert toy_cli.experiments() == []
