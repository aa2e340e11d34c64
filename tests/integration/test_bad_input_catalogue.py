"""The bad-input catalogue: search spaces, configs, CLI arguments, REST bodies and foreign database files.

Every case asserts a clear message (naming what was wrong), the documented exit code or HTTP status, no
traceback, and that nothing already stored changed. CLI cases run in-process (typer's runner) against a
live detached manager whose experiment holds two running trials with stored metrics.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from tests.reliability.harness import Lab, free_port, wait_for
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.cli._lifecycle import run_foreground
from tunelab.config import load_config

EXP = "catalog"
TRIAL = """
import time
import tunelab.trial_api as api
api.get_next_parameter()
for i in range(3):
    api.report_intermediate_result(i * 0.5)
time.sleep(600)
"""
BASE = {
    "trialCommand": "true",
    "trialCodeDirectory": ".",
    "trialConcurrency": 1,
    "maxTrialNumber": 1,
    "tuner": {"name": "Random"},
    "trainingService": {"platform": "local"},
}


class Live:
    """The shared experiment: a lab, its manager's URL, and a fingerprint of everything stored."""

    def __init__(self, lab: Lab, url: str) -> None:
        self.lab = lab
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def stored(self) -> Any:
        with self.lab.store(EXP) as store:
            record = store.get_experiment()
            trials = [(t.id, dict(t.parameters), t.status.value, t.intermediate_count) for t in store.list_trials()]
            metrics = sorted((m.trial_id, m.sequence, m.value) for m in store.iter_metrics())
        return record.config, trials, metrics


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    lab = Lab(tmp_path_factory.mktemp("catalog"))
    lab.write("trial.py", TRIAL)
    port = free_port()
    config = lab.config(trial="trial.py", trialConcurrency=2, maxTrialNumber=2)
    started = lab.create(config, EXP, port=port)
    assert started.returncode == 0, started.stdout + started.stderr
    live = Live(lab, f"http://127.0.0.1:{port}")
    wait_for(lambda: sum(t[3] for t in live.stored()[1]) == 6, 60, "both trials' metrics")
    try:
        yield live
    finally:
        live.http.close()
        lab.stop(EXP)
        lab.close()


def invoke(lab: Lab, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"TUNELAB_HOME": str(lab.home), "COLUMNS": "200"})


def invoke_detached(lab: Lab, *args: str) -> Any:
    """Commands that spawn a detached manager (resume, view) run as a real process: in-process, the
    spawner's Popen object is collected while its child still starts, a ResourceWarning under pytest."""
    done = lab.cli(*args, env={"COLUMNS": "200"})
    return CliResult(done.returncode, done.stdout + done.stderr)


class CliResult:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code = exit_code
        self.output = output
        self.exception = SystemExit(exit_code)


def assert_cli_error(result: Any, exit_code: int, needles: list[str]) -> None:
    output = result.output
    assert result.exit_code == exit_code, (result.exit_code, output, result.exception)
    assert isinstance(result.exception, SystemExit), f"unexpected exception {result.exception!r}"
    assert "Traceback" not in output
    text = " ".join(output.split())
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


# == search spaces (exit 2, message names searchSpace.<param>) ============================================
SPACES: list[tuple[str, Any, list[str]]] = [
    ("missing _type", {"x": {"_value": [0, 1]}}, ["searchSpace.x", "_type"]),
    ("_value not a list", {"x": {"_type": "uniform", "_value": 5}}, ["searchSpace.x", "must be a list", "5"]),
    ("uniform 3 values", {"x": {"_type": "uniform", "_value": [0, 1, 2]}}, ["searchSpace.x", "uniform", "[0, 1, 2]"]),
    ("normal sigma<0", {"x": {"_type": "normal", "_value": [0, -1]}}, ["searchSpace.x", "sigma > 0", "-1"]),
    ("qloguniform q<0", {"x": {"_type": "qloguniform", "_value": [1, 10, -1]}}, ["searchSpace.x", "q > 0"]),
    ("randint empty", {"x": {"_type": "randint", "_value": [3, 3]}}, ["searchSpace.x", "randint", "[3, 3]"]),
    ("choice of str", {"x": {"_type": "choice", "_value": "abc"}}, ["searchSpace.x", "choice", "'abc'"]),
    ("uniform strings", {"x": {"_type": "uniform", "_value": ["a", "b"]}}, ["searchSpace.x", "numbers", "'a'"]),
    ("uniform nan", {"x": {"_type": "uniform", "_value": [float("nan"), 1]}}, ["searchSpace.x", "finite", "nan"]),
    ("lognormal sigma 0", {"x": {"_type": "lognormal", "_value": [0, 0]}}, ["searchSpace.x", "sigma > 0"]),
    ("param is a str", {"x": "uniform"}, ["searchSpace.x", "_type", "'uniform'"]),
    ("nested duplicate _name", {"x": {"_type": "choice", "_value": [{"_name": "a"}, {"_name": "a"}]}},
     ["searchSpace.x", "_name", "'a'"]),
]


@pytest.mark.parametrize(("space", "needles"), [c[1:] for c in SPACES], ids=[c[0] for c in SPACES])
def test_bad_search_space(live: Live, space: Any, needles: list[str]) -> None:
    before = live.stored()
    path = live.lab.write("space.yml", yaml.safe_dump({**BASE, "searchSpace": space}))
    assert_cli_error(invoke(live.lab, "run", str(path), "--port", "18599"), 2, needles)
    assert live.stored() == before
    assert sorted(p.name for p in live.lab.home.iterdir() if p.is_dir()) == [EXP]


# == configs ================================================================================================
CONFIGS: list[tuple[str, Any, list[str]]] = [
    ("concurrency not int", {"trialConcurrency": "two"}, ["trialConcurrency", "'two'"]),
    ("negative maxTrialNumber", {"maxTrialNumber": -1}, ["maxTrialNumber", "-1"]),
    ("unknown tuner", {"tuner": {"name": "TPEE"}}, ["TPEE", "TPE"]),
    ("unknown platform", {"trainingService": {"platform": "kubeflw"}}, ["platform", "kubeflw"]),
    ("negative gpus", {"trialGpuNumber": -1}, ["trialGpuNumber", "-1"]),
    ("negative duration", {"maxTrialDuration": "-5m"}, ["maxTrialDuration", "-5m"]),
    ("negative retries", {"maxTrialRetries": -1}, ["maxTrialRetries", "-1"]),
    ("unknown assessor", {"assessor": {"name": "MedianStopp"}}, ["MedianStopp"]),
    ("config is a list", ["searchSpace"], ["config"]),
]


@pytest.mark.parametrize(("overrides", "needles"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_bad_config(live: Live, overrides: Any, needles: list[str]) -> None:
    before = live.stored()
    data = {**BASE, "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}, **overrides} \
        if isinstance(overrides, dict) else overrides
    path = live.lab.write("bad.yml", yaml.safe_dump(data))
    assert_cli_error(invoke(live.lab, "run", str(path), "--port", "18599"), 2, needles)
    assert live.stored() == before
    # no half-made experiment is left behind (an unknown tuner name is found after the directory exists)
    assert sorted(p.name for p in live.lab.home.iterdir() if p.is_dir()) == [EXP]


def test_config_file_that_is_not_yaml(live: Live) -> None:
    path = live.lab.write("broken.yml", "searchSpace: {x: [unclosed\n  trialCommand: : :\n")
    assert_cli_error(invoke(live.lab, "run", str(path), "--port", "18599"), 2, ["broken.yml"])


# == CLI arguments ==========================================================================================
def _cli_cases() -> list[tuple[str, list[str], int, list[str]]]:
    return [
        ("unknown experiment", ["show", "nosuchexp"], 2, ["nosuchexp", "not found"]),
        ("id with ..", ["show", "../etc"], 2, ["'../etc'", "invalid"]),
        ("id with slash", ["resume", "a/b", "--port", "18599"], 2, ["'a/b'", "invalid"]),
        ("id too long", ["view", "x" * 40, "--port", "18599"], 2, ["invalid"]),
        ("missing config file", ["run", "nope.yml", "--port", "18599"], 2, ["nope.yml"]),
        ("unknown trial", ["trial", "kill", EXP, "ZZZZZ"], 2, ["ZZZZZ"]),
        ("update bad value", ["update", EXP, "concurrency", "0"], 2, ["0"]),
        ("update huge concurrency", ["update", EXP, "concurrency", "99999999999999999999999"], 2,
         ["trialConcurrency", "at most 1000", "99999999999999999999999"]),
        ("update zero duration", ["update", EXP, "duration", "0s"], 2, ["maxExperimentDuration", "greater than zero"]),
        ("update unknown field", ["update", EXP, "colour", "3"], 2, ["colour"]),
        ("export bad type", ["export", EXP, "--type", "xml"], 2, ["xml"]),
        ("log bad name", ["log", EXP, "--trial", "ZZZZZ", "--name", "../../etc/passwd"], 2, ["passwd"]),
        ("resume a running experiment", ["resume", EXP, "--port", "18599"], 1, [EXP, "already"]),
        ("new id with ..", ["run", "{config}", "--id", "../evil", "--port", "18599"], 2, ["'../evil'", "invalid"]),
        ("new id absolute", ["run", "{config}", "--id", "/tmp/evil", "--port", "18599"], 2, ["'/tmp/evil'"]),
    ]


@pytest.mark.parametrize(("args", "code", "needles"), [c[1:] for c in _cli_cases()],
                         ids=[c[0] for c in _cli_cases()])
def test_bad_cli_arguments(live: Live, args: list[str], code: int, needles: list[str]) -> None:
    before = live.stored()
    good = live.lab.write("good.yml", yaml.safe_dump({**BASE, "searchSpace": {"x": {"_type": "choice", "_value": [1]}}}))
    args = [str(good) if a == "{config}" else a for a in args]
    run = invoke_detached if args[0] in ("resume", "view") else invoke
    assert_cli_error(run(live.lab, *args), code, needles)
    assert live.stored() == before
    assert sorted(p.name for p in live.lab.home.iterdir() if p.is_dir()) == [EXP]
    assert not (live.lab.root / "evil").exists()
    assert not Path("/tmp/evil").exists()


def test_config_path_is_a_directory(live: Live) -> None:
    assert_cli_error(invoke(live.lab, "run", str(live.lab.code), "--port", "18599"), 2, [str(live.lab.code)])


# == REST bodies (one JSON error shape, the documented status) =============================================
REST: list[tuple[str, str, str, Any, int]] = [
    ("concurrency 0", "PATCH", "/api/v1/experiment", {"trialConcurrency": 0}, 422),
    ("concurrency str", "PATCH", "/api/v1/experiment", {"trialConcurrency": "x"}, 422),
    ("maxTrialNumber -3", "PATCH", "/api/v1/experiment", {"maxTrialNumber": -3}, 422),
    ("duration garbage", "PATCH", "/api/v1/experiment", {"maxExperimentDuration": "soon"}, 422),
    ("bad space", "PATCH", "/api/v1/experiment", {"searchSpace": {"x": {"_type": "bogus", "_value": []}}}, 422),
    ("unknown key", "PATCH", "/api/v1/experiment", {"colour": 1}, 422),
    ("body not json", "PATCH", "/api/v1/experiment", b"{not json", 422),
    ("body is a list", "PATCH", "/api/v1/experiment", [1, 2], 422),
    ("params a list", "POST", "/api/v1/trials", {"parameters": [1, 2]}, 422),
    ("params missing", "POST", "/api/v1/trials", {}, 422),
    ("unknown trial", "GET", "/api/v1/trials/ZZZZZ", None, 404),
    ("kill unknown trial", "POST", "/api/v1/trials/ZZZZZ/kill", None, 404),
    ("limit 0", "GET", "/api/v1/trials?limit=0", None, 422),
    ("offset beyond int64", "GET", "/api/v1/trials?offset=99999999999999999999", None, 422),  # was a 500
    ("filter bad status", "GET", "/api/v1/trials?filter=status:bogus", None, 422),
    ("filter bad number", "GET", "/api/v1/trials?filter=final>abc", None, 422),
    ("filter NUL", "GET", "/api/v1/trials?filter=a%00%3D1", None, 422),  # was a 500 naming the database
    ("sort NUL", "GET", "/api/v1/trials?sort=params.a%00", None, 422),
    ("text NUL", "GET", "/api/v1/trials?filter=%00", None, 422),
    ("log name", "GET", "/api/v1/trials/ZZZZZ/logs/passwd", None, 422),
    ("unknown route", "GET", "/api/v1/nothing-here", None, 404),
    ("wrong method", "DELETE", "/api/v1/experiment", None, 405),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), [c[1:] for c in REST], ids=[c[0] for c in REST])
def test_bad_rest_request(live: Live, method: str, path: str, body: Any, status: int) -> None:
    before = live.stored()
    if isinstance(body, bytes):
        response = live.http.request(method, path, content=body, headers={"content-type": "application/json"})
    else:
        response = live.http.request(method, path, json=body) if body is not None else live.http.request(method, path)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "status"}
    assert error["status"] == status
    assert error["message"]
    assert "Traceback" not in response.text
    assert "tunelab.db" not in response.text  # no internal paths
    assert str(live.lab.home) not in response.text
    assert live.stored() == before


# == corrupt or foreign database files ======================================================================
def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00\xffnot a database at all" * 100)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1024])


def _nni(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE TrialJobEvent (timestamp integer, trialJobId text, event text)")
        conn.execute("CREATE TABLE MetricData (timestamp integer, trialJobId text, data text)")
        conn.execute("CREATE TABLE ExperimentProfile (params text, id text)")
    conn.close()


def _other_app(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id integer primary key, name text)")
    conn.close()


def _newer_schema(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        meta = next(t for t in tables if "meta" in t)
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({meta})")]
        key, value = columns[0], columns[1]
        conn.execute(f"UPDATE {meta} SET {value} = '999' WHERE {key} LIKE '%version%'")
    conn.close()


DB_CASES = [_garbage, _empty, _truncated, _nni, _other_app, _newer_schema]


@pytest.fixture(scope="module")
def finished_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished one-trial experiment, built once; each case damages a copy of it."""
    lab = Lab(tmp_path_factory.mktemp("dbtemplate"))
    lab.write("trial.py", "import tunelab.trial_api as api\napi.get_next_parameter()\napi.report_final_result(1.0)\n")
    cfg = lab.config(trial="trial.py", trialConcurrency=1, maxTrialNumber=1,
                     experimentWorkingDirectory=str(lab.home))
    status = run_foreground(load_config(cfg), port=free_port(), experiment_id="dbcase", quiet=True)
    assert status.value == "DONE"
    return lab.home / "dbcase"


@pytest.fixture
def finished_copy(finished_template: Path, tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    shutil.copytree(finished_template, lab.home / "dbcase")
    try:
        yield lab
    finally:
        lab.close()


@pytest.mark.parametrize("damage", DB_CASES, ids=[f.__name__.strip("_") for f in DB_CASES])
@pytest.mark.parametrize("command", ["show", "resume"])
def test_corrupt_or_foreign_database(finished_copy: Lab, damage: Any, command: str) -> None:
    lab = finished_copy
    db = lab.home / "dbcase" / "tunelab.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    damage(db)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    if command == "show":
        result = invoke(lab, "show", "dbcase")
    else:
        result = invoke_detached(lab, "resume", "dbcase", "--port", str(free_port()))
    print(f"\n{command} {damage.__name__}: {result.output.strip()}")
    if damage is _empty:
        # A zero-byte file holds nothing to lose; a writer open may lay out the schema in it first.
        assert result.exit_code in (1, 2), result.output
        assert "tunelab.db" in result.output
        assert "Traceback" not in result.output
        return
    if command == "resume" and damage is _truncated:
        # resume checks integrity first: a damaged SQLite file is the user's to salvage (issue 10, item 6)
        assert_cli_error(result, 2, ["tunelab.db", "quick_check", ".recover"])
    else:
        assert_cli_error(result, 1, ["tunelab.db"])
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest, "the damaged file was modified"
    # The refused manager reported its error and is exiting; it must not stay behind.
    wait_for(lambda: not lab.leaked(), 30, "the refused manager to exit")


def test_catalogue_size() -> None:
    cases = len(SPACES) + len(CONFIGS) + 1 + len(_cli_cases()) + 1 + len(REST) + 2 * len(DB_CASES)
    assert cases >= 40, cases
    print(f"\nbad-input catalogue: {cases} cases")

