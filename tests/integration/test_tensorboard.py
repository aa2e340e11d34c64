"""TensorBoard: the folder real trials get, the files they write found by `tunelab tensorboard`, and (when
TensorBoard is installed) a real TensorBoard serving them on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import Cli, free_port

TRIAL = """
import json, os, tunelab
params = tunelab.get_next_parameter()
folder = os.environ["TUNELAB_TENSORBOARD_DIR"]
seen = {"dir": folder, "nni": os.path.join(os.environ["NNI_OUTPUT_DIR"], "tensorboard"), "exists": os.path.isdir(folder)}
if params["x"] == "log":
    try:  # a real event file when TensorBoard is here; any file counts for tunelab
        from tensorboard.summary import Writer
        writer = Writer(folder)
        writer.add_scalar("loss", 0.5, step=1)
        writer.close()
    except ImportError:
        open(os.path.join(folder, "events.out.tfevents.0.fake"), "wb").write(b"\\0")
print(json.dumps(seen))
tunelab.report_final_result(1.0)
"""


def _experiment(cli: Cli) -> tuple[str, dict[str, dict[str, object]]]:
    cli.write("trial.py", TRIAL)
    config = cli.config(searchSpaceFile=None, searchSpace={"x": {"_type": "choice", "_value": ["log", "quiet"]}},
                        tuner={"name": "GridSearch"}, maxTrialNumber=2)
    result = cli("run", str(config), "--port", str(free_port()))
    assert result.returncode == 0, result.stdout + result.stderr
    (exp,) = cli.experiments()
    trials = {t["parameters"]["x"]: t for t in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)}
    return exp, trials


def test_each_trial_gets_its_tensorboard_folder_and_only_trials_with_files_are_served(cli: Cli, tmp_path: Path) -> None:
    exp, trials = _experiment(cli)
    for trial in trials.values():
        seen = json.loads(cli("log", exp, "--trial", str(trial["id"]), check=True).stdout.splitlines()[0])
        expected = cli.home / exp / "trials" / str(trial["id"]) / "tensorboard"
        assert seen == {"dir": str(expected), "nni": str(expected), "exists": True}
    logged = trials["log"]
    assert any((cli.home / exp / "trials" / str(logged["id"]) / "tensorboard").iterdir())

    # Without TensorBoard installed: the pip command, before any trial is looked at.
    hook = tmp_path / "hide"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'tensorboard' or name.startswith('tensorboard.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Hide())\n")
    hidden = subprocess.run([sys.executable, "-m", "tunelab.cli", "tensorboard", exp], cwd=cli.workdir,
                            env={**cli.env, "PYTHONPATH": str(hook)}, capture_output=True, text=True, timeout=60,
                            check=False)
    assert hidden.returncode == 2, hidden.stdout + hidden.stderr
    assert "tensorboard: not installed" in hidden.stderr
    assert "pip install tensorboard" in hidden.stderr

    if importlib.util.find_spec("tensorboard") is not None:
        quiet = cli("tensorboard", exp, "--trials", str(trials["quiet"]["sequence"]))
        assert quiet.returncode == 2
        assert f"trial {trials['quiet']['sequence']} ({trials['quiet']['id']}) wrote no TensorBoard files" in quiet.stderr


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None,
                    reason="tensorboard is not installed (pip install -c <torch pin> tensorboard)")
def test_tunelab_tensorboard_serves_the_trials_runs_on_loopback(cli: Cli) -> None:
    exp, trials = _experiment(cli)
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tunelab.cli", "tensorboard", exp, "--port", str(port)],
                               cwd=cli.workdir, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        runs: list[str] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                runs = httpx.get(f"http://127.0.0.1:{port}/data/runs", timeout=2).json()
            except httpx.HTTPError:
                time.sleep(0.3)
                continue
            if runs:
                break
            time.sleep(0.3)
        assert process.poll() is None, process.communicate(timeout=10)
        assert page.status_code == 200
        logged = trials["log"]
        # TensorBoard names a run <logdir_spec name>/<subfolder>; the trial wrote into its folder itself (".").
        # The quiet trial wrote nothing, so it is not served.
        assert runs == [f"trial-{logged['sequence']}-{logged['id']}/."]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out
