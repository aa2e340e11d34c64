"""The seed workflow from the command line, with real trial processes, a real server and SQLite."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from .conftest import Cli, free_port


def test_run_best_export_and_trial_ls(cli: Cli) -> None:
    result = cli("run", str(cli.config()), "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()

    best = json.loads(cli("best", exp, check=True).stdout)
    assert set(best) == {"parameters", "value", "trial_id", "sequence_id"}
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert len(trials) == 6
    assert all(t["status"] == "SUCCEEDED" for t in trials)
    assert best["value"] == max(t["final"] for t in trials)
    assert best["parameters"] == next(t["parameters"] for t in trials if t["id"] == best["trial_id"])

    exported_text = cli("export", exp, "--type", "json", check=True).stdout
    assert exported_text.count("\n") <= 1  # one line, as nnictl writes it (json.dumps, no indent)
    exported = json.loads(exported_text)
    assert len(exported) == 6
    assert set(exported[0]) == {"parameter", "value", "trialJobId"}
    assert json.loads(exported[0]["value"])["default"] == next(
        t["final"] for t in trials if t["id"] == exported[0]["trialJobId"]
    )
    with_curves = json.loads(cli("export", exp, "--intermediate", check=True).stdout)
    assert all(len(r["intermediate"]) == 3 + 1 for r in with_curves)  # NNI appends the final metric
    assert all(r["intermediate"][-1] == r["value"] for r in with_curves)

    rows = list(csv.DictReader(io.StringIO(cli("export", exp, "--type", "csv", check=True).stdout)))
    assert len(rows) == 6
    assert list(rows[0]) == ["x", "depth", "default", "loss", "trialJobId"]

    head = json.loads(cli("trial", "ls", exp, "--head", "2", "--json", check=True).stdout)
    assert head[0]["id"] == best["trial_id"]
    assert len(head) == 2

    shown = json.loads(cli("show", exp, "--json", check=True).stdout)
    assert shown["status"] == "DONE"
    assert shown["counts"]["SUCCEEDED"] == 6

    out = cli("log", exp, "--trial", best["trial_id"], check=True).stdout
    assert "trained with" in out


def test_after_a_run_the_reading_commands_need_no_id(cli: Cli) -> None:
    # `tunelab run` then `tunelab best`, as the README writes it: nothing runs any more, so the reading
    # commands take the experiment written last and say so on stderr; steering commands still ask.
    assert cli("run", str(cli.config(maxTrialNumber=2)), "--port", str(free_port())).returncode == 0
    cli("run", str(cli.config(maxTrialNumber=1)), "--port", str(free_port()), check=True)
    first, latest = sorted(cli.experiments(), key=lambda e: (cli.home / e / "tunelab.db").stat().st_mtime)
    best = cli("best")
    assert best.returncode == 0, best.stderr
    assert json.loads(best.stdout)["trial_id"] in {t["id"] for t in json.loads(
        cli("trial", "ls", latest, "--json", check=True).stdout)}
    assert f"no experiment is running; this is the latest, {latest}" in best.stderr
    assert json.loads(cli("show", "--json", check=True).stdout)["id"] == latest
    assert len(json.loads(cli("trial", "ls", "--json", check=True).stdout)) == 1
    assert len(json.loads(cli("export", check=True).stdout)) == 1
    stopped = cli("stop")
    assert stopped.returncode != 0
    assert "no experiment is running; give an experiment id" in stopped.stderr
    assert len(json.loads(cli("trial", "ls", first, "--json", check=True).stdout)) == 2


def test_detached_manager_killed_then_resumed_finishes_without_losing_trials(cli: Cli) -> None:
    cli.write("slow.py", """
        import time, tunelab
        params = tunelab.get_next_parameter()
        time.sleep(0.3)
        tunelab.report_final_result(params["x"])
    """)
    config = cli.config(trialCommand=f"{sys.executable} slow.py", maxTrialNumber=12)
    port = free_port()
    created = cli("create", "--config", str(config), "--port", str(port), check=True)
    (exp,) = cli.experiments()
    assert f"tunelab stop {exp}" in created.stdout
    info = json.loads((cli.home / exp / "manager.json").read_text())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = httpx.get(f"http://127.0.0.1:{port}/api/v1/experiment").json()["counts"]["SUCCEEDED"]
        if done >= 3:
            break
        time.sleep(0.1)
    os.kill(info["pid"], signal.SIGKILL)
    time.sleep(0.3)
    before = {t["id"]: t for t in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)}
    finished_before = {tid: t["final"] for tid, t in before.items() if t["status"] == "SUCCEEDED"}
    assert len(finished_before) >= 3

    cli("resume", exp, "--port", str(port), check=True)
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = json.loads(cli("show", exp, "--json", check=True).stdout)["status"]
        if status == "DONE":
            break
        time.sleep(0.3)
    assert status == "DONE"
    after = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert len(after) == 12  # maxTrialNumber respected across the crash
    assert len({t["id"] for t in after}) == 12
    assert all(t["status"] == "SUCCEEDED" for t in after)
    for trial in after:
        if trial["id"] in finished_before:
            assert trial["final"] == finished_before[trial["id"]]
    cli("stop", exp, check=True)
    assert not (cli.home / exp / "manager.json").exists()


def test_update_and_kill_through_the_cli(cli: Cli) -> None:
    cli.write("sleepy.py", """
        import time, tunelab
        tunelab.get_next_parameter()
        time.sleep(60)
    """)
    config = cli.config(trialCommand=f"{sys.executable} sleepy.py", trialConcurrency=1, maxTrialNumber=3)
    cli("create", "--config", str(config), "--port", str(free_port()), check=True)
    (exp,) = cli.experiments()
    trial = None
    for _ in range(200):
        trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
        running = [t for t in trials if t["status"] == "RUNNING"]
        if running:
            trial = running[0]
            break
        time.sleep(0.1)
    assert trial is not None
    cli("update", exp, "concurrency", "3", check=True)
    killed = cli("trial", "kill", exp, trial["id"], check=True)
    assert "USER_CANCELED" in killed.stdout
    shown = json.loads(cli("show", exp, "--json", check=True).stdout)
    assert shown["config"]["trialConcurrency"] == 3
    assert os.path.exists(cli.home / exp / "trials" / trial["id"] / "trial.log")
    cli("stop", exp, check=True)
    final = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert {t["status"] for t in final} <= {"USER_CANCELED", "SUCCEEDED"}


def test_max_trial_duration_kills_the_whole_process_group(cli: Cli, tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    cli.write("forker.py", f"""
        import subprocess, sys, time, tunelab
        tunelab.get_next_parameter()
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        open({str(marker)!r}, "w").write(str(child.pid))
        time.sleep(120)
    """)
    config = cli.config(trialCommand=f"{sys.executable} forker.py", maxTrialNumber=1, maxTrialDuration="2s")
    result = cli("run", str(config), "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()
    (trial,) = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert trial["status"] == "EARLY_STOPPED"
    assert "maxTrialDuration" in trial["message"]
    child = int(marker.read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_gpu_slots_from_a_fake_nvidia_smi(cli: Cli, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "nvidia-smi"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  --query-gpu=*) printf '0, GPU-aaa\\n1, GPU-bbb\\n2, GPU-ccc\\n' ;;\n"
        "  --query-compute-apps=*) printf 'GPU-bbb, 4242\\n' ;;\n"
        "esac\n"
    )
    fake.chmod(0o755)
    cli.write("gpu.py", """
        import os, tunelab
        tunelab.get_next_parameter()
        tunelab.report_final_result(float(len(os.environ["CUDA_VISIBLE_DEVICES"])))
        print("CUDA_VISIBLE_DEVICES=" + os.environ["CUDA_VISIBLE_DEVICES"])
    """)
    config = cli.config(
        trialCommand=f"{sys.executable} gpu.py", trialGpuNumber=1, maxTrialNumber=4, trialConcurrency=2,
        trainingService={"platform": "local", "useActiveGpu": False, "gpuIndices": [1, 2]},
    )
    env_path = f"{bin_dir}:{os.environ['PATH']}"
    os.environ["PATH"], old = env_path, os.environ["PATH"]
    try:
        result = cli("run", str(config), "--port", str(free_port()))
    finally:
        os.environ["PATH"] = old
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()
    seen = set()
    for trial in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout):
        out = cli("log", exp, "--trial", trial["id"], check=True).stdout
        seen.add(out.strip().split("=")[1])
    # GPU 0 is not in gpuIndices and GPU 1 is busy (useActiveGpu: false): only GPU 2 remains.
    assert seen == {"2"}


def test_zero_gpus_hides_them(cli: Cli) -> None:
    cli.write("gpu0.py", """
        import os, tunelab
        tunelab.get_next_parameter()
        print("CUDA_VISIBLE_DEVICES=[" + os.environ.get("CUDA_VISIBLE_DEVICES", "unset") + "]")
    """)
    config = cli.config(trialCommand=f"{sys.executable} gpu0.py", trialGpuNumber=0, maxTrialNumber=1)
    assert cli("run", str(config), "--port", str(free_port())).returncode == 0
    (exp,) = cli.experiments()
    (trial,) = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert "CUDA_VISIBLE_DEVICES=[]" in cli("log", exp, "--trial", trial["id"], check=True).stdout


def test_ctrl_c_stops_a_foreground_run_cleanly(cli: Cli) -> None:
    import subprocess

    cli.write("sleepy.py", """
        import time, tunelab
        tunelab.get_next_parameter()
        time.sleep(60)
    """)
    config = cli.config(trialCommand=f"{sys.executable} sleepy.py", maxTrialNumber=4)
    process = subprocess.Popen(
        [sys.executable, "-m", "tunelab.cli", "run", str(config), "--port", str(free_port())],
        cwd=cli.workdir, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        exps = cli.experiments()
        if exps and list((cli.home / exps[0] / "trials").glob("*/stdout")):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    (exp,) = cli.experiments()
    shown = json.loads(cli("show", exp, "--json", check=True).stdout)
    assert shown["status"] == "STOPPED"
    assert {t["status"] for t in json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)} == {"USER_CANCELED"}


def test_without_a_tuner_the_auto_tuner_runs(cli: Cli) -> None:
    config = cli.config(tuner=None, maxTrialNumber=4)
    result = cli("run", str(config), "--port", str(free_port()))
    assert result.returncode == 0, result.stderr
    (exp,) = cli.experiments()
    trials = json.loads(cli("trial", "ls", exp, "--json", check=True).stdout)
    assert len(trials) == 4
    assert all(t["status"] == "SUCCEEDED" for t in trials)
    best = json.loads(cli("best", exp, check=True).stdout)
    assert best["value"] == max(t["final"] for t in trials)  # Auto maximizes by default, as NNI's tuners do
