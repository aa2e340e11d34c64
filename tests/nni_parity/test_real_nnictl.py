"""A real NNI 3.0 experiment made here with ``nnictl create --config`` (NNI's wheel ships its Node runtime):
dict metrics, intermediate results and a nested space. Stopped with ``nnictl stop``, then imported with
``tunelab import-nni``; tunelab's export of the import must equal ``nnictl experiment export`` of it.

A second pair of runs, one under ``nnictl create`` and one under ``tunelab run`` with the same config and
the same ``import nni`` script, compares what a trial process observes: its NNI_* variables, its working
directory, the trial SDK's ids, and the status of a trial that exits non-zero after its final result.

``oracle/nnictl.py`` runs the real nnictl with two test-only adjustments (127.0.0.1 only; patient start-up
on a loaded machine); nothing else of NNI is changed."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

ORACLE = Path(__file__).with_name("oracle")
SPACE = {"x": {"_type": "uniform", "_value": [0, 1]},
         "layer0": {"_type": "choice", "_value": [{"_name": "Empty"},
                                                  {"_name": "Max", "pooling_size": {"_type": "choice", "_value": [2, 3]}}]}}
TRIAL = textwrap.dedent("""\
    import nni
    p = nni.get_next_parameter()
    for i in range(2):
        nni.report_intermediate_result({"default": p["x"] + i, "step": i})
    nni.report_final_result({"default": p["x"], "acc": 0.5})
    """)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nnictl(nni_python: str, *args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_", "PYTHON"))}
    env["HOME"] = str(home)
    return subprocess.run([nni_python, str(ORACLE / "nnictl.py"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=240, check=False)


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/nni{path}", timeout=10) as response:
        return json.loads(response.read())


def _tunelab(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env["TUNELAB_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "tunelab.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


def test_config_file_experiment_imports_and_exports_as_nnictl(tmp_path: Path, nni_python: str) -> None:
    code, home, exps = tmp_path / "code", tmp_path / "home", tmp_path / "nni-experiments"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    (code / "search_space.json").write_text(json.dumps(SPACE))
    (code / "config.yml").write_text(textwrap.dedent(f"""\
        experimentName: parity
        searchSpaceFile: search_space.json
        trialCommand: {nni_python} trial.py
        trialCodeDirectory: .
        trialConcurrency: 1
        maxTrialNumber: 2
        experimentWorkingDirectory: {exps}
        tuner:
          name: Random
        trainingService:
          platform: local
        """))
    port = _free_port()
    created = _nnictl(nni_python, "create", "--config", "config.yml", "--port", str(port), home=home, cwd=code)
    assert created.returncode == 0, created.stdout[-2000:] + created.stderr[-2000:]
    (exp_id,) = [p.name for p in exps.iterdir() if p.name != "_latest"]
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = _get(port, "/trial-jobs")
            if len(jobs) == 2 and all(j["status"] == "SUCCEEDED" for j in jobs):
                break
            assert _get(port, "/check-status")["status"] != "ERROR", (exps / exp_id / "log" / "nnimanager.log").read_text()[-3000:]
            time.sleep(2)
        else:
            raise AssertionError(f"NNI trials did not finish: {jobs}")
        nni_json, nni_csv = tmp_path / "nni.json", tmp_path / "nni.csv"
        for kind, target in (("json", nni_json), ("csv", nni_csv)):
            exported = _nnictl(nni_python, "experiment", "export", exp_id, "--type", kind, "--filename",
                               str(target), "--intermediate", home=home, cwd=code)
            assert exported.returncode == 0, exported.stderr
    finally:
        _nnictl(nni_python, "stop", exp_id, home=home, cwd=code)

    tl_home = tmp_path / "tunelab-home"
    imported = _tunelab("import-nni", str(exps / exp_id), home=tl_home, cwd=tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    ours = _tunelab("export", exp_id, "--intermediate", home=tl_home, cwd=tmp_path).stdout
    theirs = nni_json.read_text()
    ours_records = {r["trialJobId"]: r for r in json.loads(ours)}
    for record in ours_records.values():
        assert record["intermediate"][-1] == record["value"]  # tunelab: in order, the final last
    # nnictl lists a trial's metrics in database order (its sort result is discarded), so compare as sets.
    assert _unordered(ours_records) == _unordered({r["trialJobId"]: r for r in json.loads(theirs)})
    assert ours.strip().count("\n") == theirs.strip().count("\n") == 0  # both on one line
    ours_csv = _tunelab("export", exp_id, "--type", "csv", "--intermediate", home=tl_home, cwd=tmp_path).stdout
    rows = {r["trialJobId"]: r for r in csv.DictReader(io.StringIO(ours_csv))}
    nni_rows = {r["trialJobId"]: r for r in csv.DictReader(io.StringIO(nni_csv.read_text()))}
    assert _unordered_csv(rows) == _unordered_csv(nni_rows)


def _unordered(records: dict[str, Any]) -> dict[str, Any]:
    return {tid: {**r, "intermediate": sorted(r["intermediate"])} for tid, r in records.items()}


def _unordered_csv(rows: dict[str, Any]) -> dict[str, Any]:
    return {tid: {**r, "intermediate": sorted(json.loads(r["intermediate"]), key=json.dumps)}
            for tid, r in rows.items()}

ENV_TRIAL = """\
import json, os, sys, nni
params = nni.get_next_parameter()
env = {{k: v for k, v in os.environ.items() if k.startswith("NNI_")}}
seen = {{"env": env, "cwd": os.getcwd(), "experiment": nni.get_experiment_id(), "trial": nni.get_trial_id(),
        "sequence": nni.get_sequence_id()}}
with open(os.path.join({out!r}, env["NNI_TRIAL_JOB_ID"] + ".json"), "w") as f:
    json.dump(seen, f)
nni.report_final_result(params["x"])
sys.exit(3 if nni.get_sequence_id() == 1 else 0)
"""


def _project(root: Path, python: str, extra: str = "") -> tuple[Path, Path]:
    code, out = root / "code", root / "out"
    code.mkdir(parents=True)
    out.mkdir()
    (code / "trial.py").write_text(ENV_TRIAL.format(out=str(out)))
    (code / "search_space.json").write_text(json.dumps({"x": {"_type": "uniform", "_value": [0, 1]}}))
    (code / "config.yml").write_text(textwrap.dedent(f"""\
        searchSpaceFile: search_space.json
        trialCommand: {python} trial.py
        trialCodeDirectory: .
        trialConcurrency: 1
        maxTrialNumber: 2
        tuner:
          name: Random
        trainingService:
          platform: local
        """) + extra)
    return code, out


def _run_nni(root: Path, nni_python: str) -> tuple[dict[int, str], list[dict[str, Any]], Path, dict[str, Any]]:
    exps = root / "nni-experiments"
    code, out = _project(root, nni_python, f"experimentWorkingDirectory: {exps}\n")
    port = _free_port()
    created = _nnictl(nni_python, "create", "--config", "config.yml", "--port", str(port), home=root / "home", cwd=code)
    assert created.returncode == 0, created.stdout[-2000:] + created.stderr[-2000:]
    (exp_id,) = [p.name for p in exps.iterdir() if p.name != "_latest"]
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            jobs = _get(port, "/trial-jobs")
            if len(jobs) == 2 and all(j["status"] in ("SUCCEEDED", "FAILED") for j in jobs):
                break
            time.sleep(1)
        else:
            raise AssertionError(f"NNI trials did not end: {jobs}")
        records = _api_shapes(nni_python, port, root / "home", code)
    finally:
        _nnictl(nni_python, "stop", exp_id, home=root / "home", cwd=code)
    return {j["sequenceId"]: j["status"] for j in jobs}, _seen(out), code, records


def _run_tunelab(root: Path) -> tuple[dict[int, str], list[dict[str, Any]], Path, dict[str, Any]]:
    code, out = _project(root, sys.executable, "failFastTrials: 0\n")
    home = root / "home"
    port = _free_port()
    created = _tunelab("create", "--config", "config.yml", "--port", str(port), home=home, cwd=code)
    assert created.returncode == 0, created.stdout[-2000:] + created.stderr[-2000:]
    (exp_id,) = [p.name for p in home.iterdir() if p.is_dir()]  # the one experiment of this TUNELAB_HOME
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            listed = _tunelab("trial", "ls", exp_id, "--json", home=home, cwd=code)
            trials = json.loads(listed.stdout) if listed.returncode == 0 else []
            if len(trials) == 2 and all(t["status"] in ("SUCCEEDED", "FAILED") for t in trials):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"tunelab trials did not end: {listed.stdout}{listed.stderr}")
        records = _api_shapes(sys.executable, port, home, code)
    finally:
        _tunelab("stop", exp_id, home=home, cwd=code)
    return {t["sequence"]: t["status"] for t in trials}, _seen(out), code, records


def _api_shapes(python: str, port: int, home: Path, cwd: Path) -> dict[str, Any]:
    """NNI's ``Experiment.connect(port)`` records, as shapes, from a script run in ``python``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_", "PYTHON"))}
    env.update(HOME=str(home), TUNELAB_HOME=str(home))
    probe = subprocess.run([python, str(ORACLE / "api_shapes.py"), str(port)], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert probe.returncode == 0, probe.stderr[-3000:]
    return dict(json.loads(probe.stdout.strip().splitlines()[-1]))


def _seen(out: Path) -> list[dict[str, Any]]:
    return sorted((json.loads(p.read_text()) for p in out.iterdir()), key=lambda s: s["sequence"])


def _shape(seen: list[dict[str, Any]], code: Path) -> list[dict[str, Any]]:
    """What must agree: variable names, platform, sequence, and how ids and directories relate (the ids and
    paths themselves differ by run; the command channel's address is each tool's own transport)."""
    shapes = []
    for s in seen:
        env = s["env"]
        shapes.append({
            "names": sorted(env),
            "platform": env["NNI_PLATFORM"],
            "sequence": (s["sequence"], env["NNI_TRIAL_SEQ_ID"]),
            "ids_match_sdk": (s["experiment"] == env["NNI_EXP_ID"], s["trial"] == env["NNI_TRIAL_JOB_ID"]),
            "output_is_sys_dir": env["NNI_OUTPUT_DIR"] == env["NNI_SYS_DIR"],
            "trial_dir_named_by_id": Path(env["NNI_SYS_DIR"]).name == env["NNI_TRIAL_JOB_ID"],
            "trial_dir_exists": Path(env["NNI_SYS_DIR"]).is_dir(),
            "code_dir": env["NNI_CODE_DIR"] == str(code),
            "cwd_is_code_dir": s["cwd"] == str(code),
        })
    return shapes


def test_trial_environment_states_and_api_records_match_nni(tmp_path: Path, nni_python: str) -> None:
    nni_states, nni_seen, nni_code, nni_records = _run_nni(tmp_path / "nni", nni_python)
    our_states, our_seen, our_code, our_records = _run_tunelab(tmp_path / "tunelab")
    assert _shape(our_seen, our_code) == _shape(nni_seen, nni_code)
    # A trial that reported its final result and then exited 3 is FAILED in both.
    assert our_states == nni_states == {0: "SUCCEEDED", 1: "FAILED"}
    # NNI's Experiment API over the live experiment: the same records, field by field.
    # NNI's Experiment API over the live experiment: the same records, field by field. The profile holds
    # NNI's keys (tunelab adds its overview's), less NNI's database row counter `revision`; its `params` is
    # the canonical config, less the keys only NNI writes (compared in test_differential.py).
    nni_profile, our_profile = nni_records.pop("profile_keys"), our_records.pop("profile_keys")
    assert set(nni_profile) - {"revision"} <= set(our_profile)
    nni_params, our_params = nni_records.pop("profile_params_keys"), our_records.pop("profile_params_keys")
    assert set(nni_params) - {"experimentWorkingDirectory", "logLevel", "searchSpaceFile"} <= set(our_params)
    assert our_records == nni_records


API_TRIAL = textwrap.dedent("""\
    import sys, time, nni
    p = nni.get_next_parameter()
    seq = nni.get_sequence_id()
    if seq == 0:  # a good trial
        for i in range(4):
            nni.report_intermediate_result({"default": 0.9, "step": i})
        nni.report_final_result({"default": 0.9, "acc": p["x"]})
    elif seq == 1:  # a failed trial
        nni.report_intermediate_result(0.5)
        sys.exit(1)
    else:  # a trial Medianstop stops (its curve stays below the good one's from step 2)
        for i in range(30):
            nni.report_intermediate_result({"default": 0.1, "step": i})
            time.sleep(0.3)
        nni.report_final_result(0.1)
    """)


def test_python_api_experiment_imports_exports_and_resumes(tmp_path: Path, nni_python: str) -> None:
    code, exps, prefix = tmp_path / "code", tmp_path / "nni-experiments", tmp_path / "nni-export"
    code.mkdir()
    (code / "trial.py").write_text(API_TRIAL)
    (code / "search_space.json").write_text(json.dumps(SPACE))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_", "PYTHON"))}
    env["HOME"] = str(tmp_path / "home")
    made = subprocess.run([nni_python, str(ORACLE / "python_api.py"), str(code), str(exps), str(_free_port()),
                           str(prefix)], cwd=code, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-3000:]
    (nni_run,) = [json.loads(line[len("RESULT "):]) for line in made.stdout.splitlines() if line.startswith("RESULT ")]
    exp_id = nni_run["id"]
    # NNI records the assessor's stop as USER_CANCELED (a documented, deliberate difference below).
    assert {int(k): v for k, v in nni_run["statuses"].items()} == {0: "SUCCEEDED", 1: "FAILED", 2: "USER_CANCELED"}

    home = tmp_path / "tunelab-home"
    imported = _tunelab("import-nni", str(exps / exp_id), home=home, cwd=tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = json.loads(_tunelab("trial", "ls", exp_id, "--json", home=home, cwd=tmp_path).stdout)
    # The import keeps what NNI recorded: its database holds nothing that tells an assessor's stop from a
    # user's cancel (both are a USER_CANCELED event), so the stopped trial stays USER_CANCELED.
    assert {t["sequence"]: t["status"] for t in listed} == {0: "SUCCEEDED", 1: "FAILED", 2: "USER_CANCELED"}
    best = json.loads(_tunelab("best", exp_id, "--json", home=home, cwd=tmp_path).stdout)
    assert (best["sequence_id"], best["value"]) == (0, 0.9)
    ours = {r["trialJobId"]: r for r in json.loads(_tunelab("export", exp_id, "--intermediate", home=home,
                                                               cwd=tmp_path).stdout)}
    theirs = {r["trialJobId"]: r for r in json.loads(Path(f"{prefix}.json").read_text())}
    assert _unordered(ours) == _unordered(theirs)
    ours_csv = _tunelab("export", exp_id, "--type", "csv", "--intermediate", home=home, cwd=tmp_path).stdout
    rows = {r["trialJobId"]: r for r in csv.DictReader(io.StringIO(ours_csv))}
    nni_rows = {r["trialJobId"]: r for r in csv.DictReader(io.StringIO(Path(f"{prefix}.csv").read_text()))}
    assert _unordered_csv(rows) == _unordered_csv(nni_rows)

    # Resume on tunelab: one more trial runs (the same `import nni` script, through tunelab's shim) beside
    # the three imported ones.
    port = _free_port()
    resumed = _tunelab("resume", exp_id, "--port", str(port), home=home, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    try:
        updated = _tunelab("update", exp_id, "trialnum", "4", home=home, cwd=tmp_path)
        assert updated.returncode == 0, updated.stdout + updated.stderr
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            trials = json.loads(_tunelab("trial", "ls", exp_id, "--json", home=home, cwd=tmp_path).stdout)
            if len(trials) == 4 and trials[-1]["status"] not in ("WAITING", "RUNNING"):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"no new trial ran after resume: {trials}")
    finally:
        _tunelab("stop", exp_id, home=home, cwd=tmp_path)
    # The new trial ran the same script through tunelab's `nni` shim: sequence 3 draws the "stopped" branch
    # (any sequence past 1 does), so it ends EARLY_STOPPED by Medianstop (tunelab's state) or, on a slow
    # machine, SUCCEEDED; never FAILED.
    assert trials[-1]["sequence"] == 3
    assert trials[-1]["status"] in ("EARLY_STOPPED", "SUCCEEDED"), trials[-1]
    assert [t["status"] for t in trials[:3]] == ["SUCCEEDED", "FAILED", "USER_CANCELED"]  # imported ones kept
