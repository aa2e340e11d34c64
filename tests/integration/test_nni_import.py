"""An NNI experiment directory built here (``db/nni.sqlite`` with NNI 3.0's schema, trial folders) imports
into tunelab, serves read-only, and resumes with its history; results files import in NNI's shapes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tunelab.storage import open_store
from tunelab.trial import TrialSource, TrialState

from .conftest import free_port

SPACE = {"lr": {"_type": "loguniform", "_value": [0.001, 0.1]}, "units": {"_type": "choice", "_value": [8, 16]}}
TRIAL = textwrap.dedent("""\
    import nni
    p = nni.get_next_parameter()
    nni.report_intermediate_result(p["lr"])
    nni.report_final_result(p["lr"] * p["units"])
    """)
T0 = 1_700_000_000_000  # ms, NNI's unit



def _param_record(seq: int, params: dict[str, Any], source: str = "algorithm") -> str:
    return json.dumps({"parameter_id": seq, "parameter_source": source, "parameters": params,
                       "parameter_index": 0})


def _metric_cell(value: Any) -> str:
    # NNI stores JSON.stringify(nni.dump(value)): JSON text inside a JSON string.
    return json.dumps(json.dumps(value))


def build_nni_experiment(root: Path, code_dir: Path, nni_id: str = "nniexp01", *, space_file: bool = False) -> Path:
    """``root/<nni_id>/`` as NNI 3.0 leaves it after a run that was stopped with one trial RUNNING.
    ``space_file``: created by ``nnictl create --config`` from a ``searchSpaceFile``: NNI then stores the
    file's absolute path *and* the loaded ``searchSpace`` (seen in a real NNI 3.0 database)."""
    exp = root / nni_id
    (exp / "db").mkdir(parents=True)
    conn = sqlite3.connect(exp / "db" / "nni.sqlite")
    conn.executescript("""
        create table TrialJobEvent (timestamp integer, trialJobId text, event text, data text, logPath text,
                                    sequenceId integer, message text, environmentId text);
        create table MetricData (timestamp integer, trialJobId text, parameterId text, type text,
                                 sequence integer, data text);
        create table ExperimentProfile (params text, id text, execDuration integer, startTime integer,
                                        endTime integer, logDir text, nextSequenceId integer, revision integer);
    """)
    config = {
        "experimentName": "from-nni", "experimentType": "hpo", "searchSpace": SPACE,
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(code_dir),
        "trialConcurrency": 1, "maxTrialNumber": 3, "useAnnotation": False, "debug": False, "logLevel": "info",
        "experimentWorkingDirectory": str(root),
        "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
        "trainingService": {"platform": "local", "trialCommand": f"{sys.executable} trial.py",
                            "trialCodeDirectory": str(code_dir), "debug": False, "useActiveGpu": False,
                            "maxTrialNumberPerGpu": 1, "reuseMode": False},
    }
    if space_file:
        config = {"experimentName": config["experimentName"], "experimentType": "hpo",
                  "searchSpaceFile": str(code_dir / "search_space.json"), **config}
    profile = "insert into ExperimentProfile values (?,?,?,?,?,?,?,?)"
    conn.execute(profile, (json.dumps({**config, "maxTrialNumber": 2}), nni_id, 10, T0, None, None, 0, 1))
    conn.execute(profile, (json.dumps(config), nni_id, 42, T0, None, None, 4, 2))
    events = [
        (T0 + 1, "Aa001", "WAITING", _param_record(0, {"lr": 0.01, "units": 8}), 0),
        (T0 + 2, "Aa001", "RUNNING", None, 0),
        (T0 + 9, "Aa001", "SUCCEEDED", None, 0),
        (T0 + 10, "Bb002", "WAITING", _param_record(1, {"lr": 0.05, "units": 16}), 1),
        (T0 + 11, "Bb002", "RUNNING", None, 1),
        (T0 + 15, "Bb002", "FAILED", None, 1),
        (T0 + 16, "Cc003", "ADD_CUSTOMIZED", _param_record(2, {"lr": 0.1, "units": 16}, "customized"), 2),
        (T0 + 16, "Cc003", "WAITING", _param_record(2, {"lr": 0.1, "units": 16}, "customized"), 2),
        (T0 + 17, "Cc003", "RUNNING", None, 2),
        (T0 + 20, "Cc003", "SUCCEEDED", None, 2),
        (T0 + 21, "Dd004", "WAITING", _param_record(3, {"lr": 0.002, "units": 8}), 3),
        (T0 + 22, "Dd004", "RUNNING", None, 3),
        (T0 + 23, "", "IMPORT_DATA", json.dumps([{"parameter": {"lr": 0.02, "units": 8}, "value": 0.5}]), None),
    ]
    conn.executemany("insert into TrialJobEvent values (?,?,?,?,?,?,?,?)",
                     [(ts, tid, ev, data, None, seq, "exit 1" if ev == "FAILED" else None, "local-env")
                      for ts, tid, ev, data, seq in events])
    metrics = [
        (T0 + 5, "Aa001", "0", "PERIODICAL", 0, _metric_cell(0.05)),
        (T0 + 6, "Aa001", "0", "PERIODICAL", 1, _metric_cell(0.07)),
        (T0 + 8, "Aa001", "0", "FINAL", 0, _metric_cell(0.08)),
        (T0 + 19, "Cc003", "2", "FINAL", 0, _metric_cell({"default": 1.6, "loss": 0.3})),
        (T0 + 19, "Cc003", "2", "FINAL", 0, _metric_cell({"default": 9.9})),  # a second final: ignored
        (T0 + 19, "Zz999", "9", "FINAL", 0, _metric_cell(1.0)),  # unknown trial: skipped
    ]
    conn.executemany("insert into MetricData values (?,?,?,?,?,?)", metrics)
    conn.commit()
    conn.close()
    trial_dir = exp / "environments" / "local-env" / "trials" / "Aa001"
    trial_dir.mkdir(parents=True)
    (trial_dir / "trial.stdout").write_text("epoch 1 done\n")
    (trial_dir / "trial.stderr").write_text("")
    (trial_dir / "trial.log").write_text("[2023-11-14 22:13:20] PRINT hello\n")
    return exp


def _cli(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
    env["TUNELAB_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "tunelab.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180, check=False)


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, Path]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    nni_dir = build_nni_experiment(tmp_path / "nni-experiments", code)
    home = tmp_path / "home"
    result = _cli("import-nni", str(nni_dir), home=home, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nniexp01" in result.stdout
    return home, home / "nniexp01"


def test_import_nni_of_a_config_file_experiment(tmp_path: Path) -> None:
    # NNI keeps searchSpaceFile and searchSpace; the stored space is what ran (the file may be gone).
    code = tmp_path / "code"
    code.mkdir()
    (code / "trial.py").write_text(TRIAL)
    nni_dir = build_nni_experiment(tmp_path / "nni-experiments", code, "nnifile1", space_file=True)
    home = tmp_path / "home"
    result = _cli("import-nni", str(nni_dir), home=home, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    shown = json.loads(_cli("show", "nnifile1", "--json", home=home, cwd=tmp_path).stdout)
    assert shown["config"]["searchSpace"] == SPACE


def test_import_nni_replays_the_event_log(imported: tuple[Path, Path]) -> None:
    _home, exp_dir = imported
    store = open_store(exp_dir, "nniexp01", readonly=True)
    try:
        record = store.get_experiment()
        assert record.name == "from-nni"
        assert record.config["maxTrialNumber"] == 3  # the latest profile revision
        assert record.elapsed == 42
        assert "experimentWorkingDirectory" not in record.config
        trials = {t.id: t for t in store.list_trials()}
        assert len(trials) == 5
        assert {"Aa001", "Bb002", "Cc003", "Dd004"} <= set(trials)
        a, b, c, d = trials["Aa001"], trials["Bb002"], trials["Cc003"], trials["Dd004"]
        assert (a.status, a.sequence, dict(a.parameters), a.final) == (TrialState.SUCCEEDED, 0, {"lr": 0.01, "units": 8}, 0.08)
        assert [(m.kind.value, m.sequence, m.value) for m in store.get_metrics("Aa001")] == [
            ("FINAL", 0, 0.08), ("PERIODICAL", 0, 0.05), ("PERIODICAL", 1, 0.07)]
        assert a.started_at == pytest.approx((T0 + 2) / 1000)
        assert (b.status, b.final, b.message) == (TrialState.FAILED, None, "exit 1")
        assert (c.source, c.final, c.final_data) == (TrialSource.CUSTOMIZED, 1.6, {"default": 1.6, "loss": 0.3})
        assert d.status == TrialState.WAITING  # was RUNNING when NNI stopped: resume re-runs it
        (extra,) = [t for t in trials.values() if t.source == TrialSource.IMPORTED]
        assert (dict(extra.parameters), extra.final) == ({"lr": 0.02, "units": 8}, 0.5)
    finally:
        store.close()
    assert (exp_dir / "trials" / "Aa001" / "stdout").read_text() == "epoch 1 done\n"
    assert "PRINT hello" in (exp_dir / "trials" / "Aa001" / "trial.log").read_text()


def test_imported_experiment_serves_best_and_export(imported: tuple[Path, Path], tmp_path: Path) -> None:
    home, _ = imported
    best = _cli("best", "nniexp01", home=home, cwd=tmp_path)
    assert best.returncode == 0, best.stderr
    assert "Cc003" in best.stdout  # maximize: 1.6 beats 0.5 and 0.08
    export = _cli("export", "nniexp01", "--type", "json", home=home, cwd=tmp_path)
    records = json.loads(export.stdout)
    assert {r["trialJobId"] for r in records} >= {"Aa001", "Cc003"}
    again = _cli("import-nni", str(tmp_path / "nni-experiments" / "nniexp01"), home=home, cwd=tmp_path)
    assert again.returncode != 0
    assert "--id" in again.stderr


def test_imported_experiment_views_and_resumes_with_its_history(imported: tuple[Path, Path], tmp_path: Path) -> None:
    home, exp_dir = imported
    result = _cli("resume", "nniexp01", "--foreground", "--port", str(free_port()), home=home, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    store = open_store(exp_dir, "nniexp01", readonly=True)
    try:
        trials = {t.id: t for t in store.list_trials()}
        # Dd004 re-ran with NNI's id and parameters; the budget (3 algorithm trials) was spent already
        assert trials["Dd004"].status == TrialState.SUCCEEDED
        assert trials["Dd004"].final == pytest.approx(0.002 * 8)
        assert len(trials) == 5
        resumed = [e for e in store.list_events() if e.kind == "resumed"]
        assert resumed[0].data["finished"] == 4  # NNI's finished trials + the imported one warm the tuner
    finally:
        store.close()

    from tunelab.experiment import Experiment

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUNELAB_HOME", str(home))
        viewer = Experiment(None, "nniexp01")
        viewer.view(18341, non_blocking=True)
        try:
            assert viewer.get_status() in ("VIEWED", "DONE")
            assert {j.trialJobId for j in viewer.list_trial_jobs()} >= {"Aa001", "Dd004"}
        finally:
            viewer.stop()


def test_import_results_json_and_export_csv_round_trip(imported: tuple[Path, Path], tmp_path: Path) -> None:
    home, exp_dir = imported
    results = tmp_path / "results.json"
    results.write_text(json.dumps([{"parameter": {"lr": 0.03, "units": 16}, "value": 0.7},
                                   {"parameter": {"lr": 0.04, "units": 8}, "value": {"default": 0.2, "x": 1}}]))
    first = _cli("import", "nniexp01", "--filename", str(results), home=home, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    csv_text = _cli("export", "nniexp01", "--type", "csv", home=home, cwd=tmp_path).stdout
    assert csv_text.splitlines()[0].startswith("lr,units")
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(csv_text)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"parameter": {"lr": 0.03}, "value": "high"}]))
    rejected = _cli("import", "nniexp01", "-f", str(bad), home=home, cwd=tmp_path)
    assert rejected.returncode != 0
    assert "value" in rejected.stderr
    store = open_store(exp_dir, "nniexp01", readonly=True)
    try:
        before = len(store.list_trials())
    finally:
        store.close()
    second = _cli("import", "nniexp01", "-f", str(csv_file), home=home, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    store = open_store(exp_dir, "nniexp01", readonly=True)
    try:
        imported_trials = [t for t in store.list_trials() if t.source == TrialSource.IMPORTED]
        assert len(store.list_trials()) == before + 5  # the 5 trials with a final result came back
        finals = sorted(t.final for t in imported_trials if t.final is not None)
        assert finals.count(0.7) == 2
        assert any(t.final_data == {"default": 0.2, "x": 1} for t in imported_trials)
    finally:
        store.close()


def test_save_and_load_move_an_experiment(imported: tuple[Path, Path], tmp_path: Path) -> None:
    home, _exp_dir = imported
    archive = tmp_path / "moved.zip"
    saved = _cli("save", "nniexp01", "--path", str(archive), "--save-code-dir", home=home, cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    other_home = tmp_path / "other-home"
    code = tmp_path / "new-code"
    loaded = _cli("load", "--path", str(archive), "--code-dir", str(code), home=other_home, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert (code / "trial.py").read_text() == TRIAL
    store = open_store(other_home / "nniexp01", "nniexp01", readonly=True)
    try:
        assert len(store.list_trials()) == 5
        assert store.get_experiment().config["trialCodeDirectory"] == str(code)
    finally:
        store.close()
    assert not (other_home / "nniexp01" / "manager.json").exists()
    again = _cli("load", "--path", str(archive), home=other_home, cwd=tmp_path)
    assert again.returncode != 0
    assert "already exists" in again.stderr
