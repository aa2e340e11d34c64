"""Another local user against a live experiment: it cannot forge trial results on the metric channel and
cannot read the experiment's files. Run as a real second user (``nobody``, through ``setpriv``), so this
needs root; elsewhere it is skipped.

The experiments root is made world-traversable (0755), as ``~/tunelab-experiments`` under a 0755 home is,
so only tunelab's own modes stand between the other user and the files.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.reliability.harness import Lab, free_port, wait_for

from tunelab.runners import channel_address

NOBODY = 65534
FORGED = 12345.0
TRIAL = """
import os, time
import tunelab.trial_api as api
api.get_next_parameter()
with open(os.path.join(os.environ["TUNELAB_OUTPUT_DIR"], "model.txt"), "w") as handle:
    handle.write("weights")
api.report_intermediate_result(0.5)
time.sleep(600)
"""

# Run by the other user: connect to the manager's channel and send a FINAL for the trial, with and
# without a made-up hello. Prints what happened on each try.
FORGE = r"""
import json, socket, sys
address, trial = sys.argv[1], sys.argv[2]
final = json.dumps({"trial": trial, "kind": "FINAL", "seq": 0, "value": 12345.0}).encode() + b"\n"
hello = json.dumps({"hello": trial, "key": "0" * 64}).encode() + b"\n"
for prefix in (b"", hello):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect("\0" + address[1:] if address.startswith("@") else address)
        sock.sendall(prefix + final)
        sock.settimeout(5)
        print("sent", sock.recv(10))
    except OSError as exc:
        print("refused", exc)
    finally:
        sock.close()
"""

READ = r"""
import os, sys
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(16)
        print("READ", path)
    except OSError as exc:
        print("denied", path, exc.errno)
"""


def _python_for_nobody() -> str:
    """An interpreter the other user may run (the test's own may live under root's 0700 home)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as a second user")
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate) and _as_nobody(candidate, "-c", "pass").returncode == 0:
            return candidate
    pytest.skip("no Python interpreter the nobody user can run")


def _as_nobody(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv],
                          capture_output=True, text=True, timeout=60, check=False, cwd="/")


@pytest.fixture
def lab() -> Iterator[Lab]:
    root = Path(tempfile.mkdtemp(prefix="tunelab-other-user-"))  # not under pytest's 0700 basetemp
    root.chmod(0o755)
    lab = Lab(root)
    lab.home.chmod(0o755)
    lab.code.chmod(0o755)
    try:
        yield lab
    finally:
        lab.close()
        shutil.rmtree(root, ignore_errors=True)


def _start(lab: Lab, env: dict[str, str] | None = None) -> str:
    lab.write("trial.py", TRIAL)
    config = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=1)
    started = lab.cli("create", "--config", str(config), "--id", "victim", "--port", str(free_port()), env=env)
    assert started.returncode == 0, started.stdout + started.stderr

    def reported() -> str | None:
        with lab.store("victim") as store:
            trials = [t for t in store.list_trials() if t.intermediate_count]
        return trials[0].id if trials else None

    return str(wait_for(reported, 60, "the trial to report"))


def test_another_user_cannot_forge_a_result_or_read_the_experiment(lab: Lab) -> None:
    python = _python_for_nobody()
    trial_id = _start(lab)
    exp_dir = lab.exp_dir("victim")
    forged = _as_nobody(python, "-c", FORGE, channel_address(exp_dir), trial_id)
    assert forged.returncode == 0, forged.stderr
    trial_dir = exp_dir / "trials" / trial_id
    secrets = [exp_dir, exp_dir / "tunelab.db", exp_dir / "trials", trial_dir, trial_dir / "stdout",
               trial_dir / "model.txt", exp_dir / "manager.json"]
    read = _as_nobody(python, "-c", READ, *map(str, secrets))
    lab.stop("victim")
    finals = [m.value for m in lab.metrics_of("victim", trial_id) if m.kind.value == "FINAL"]
    assert FORGED not in finals, (finals, forged.stdout)
    best = lab.cli("best", "victim")
    assert "12345" not in best.stdout + best.stderr
    assert "READ" not in read.stdout, read.stdout
    assert read.stdout.count("denied") == len(secrets), read.stdout
    # The modes themselves: nothing of the experiment is open to group or others by default.
    for path in [*secrets[:-1], exp_dir / "channel.key", trial_dir / ".tunelab-metrics.jsonl"]:
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path, oct(path.stat().st_mode))


def test_the_group_setting_shares_read_only_with_the_group(lab: Lab) -> None:
    trial_id = _start(lab, env={"TUNELAB_UMASK": "027"})
    exp_dir = lab.exp_dir("victim")
    lab.stop("victim")
    assert stat.S_IMODE(exp_dir.stat().st_mode) == 0o750
    assert stat.S_IMODE((exp_dir / "tunelab.db").stat().st_mode) == 0o640
    assert stat.S_IMODE((exp_dir / "trials" / trial_id / "model.txt").stat().st_mode) == 0o640


def test_a_bad_umask_setting_is_refused(lab: Lab) -> None:
    result = lab.cli("list", env={"TUNELAB_UMASK": "rw-r--r--"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "TUNELAB_UMASK='rw-r--r--'" in result.stderr
    assert "027" in result.stderr
    assert "Traceback" not in result.stderr
