"""The bad-input catalogue, generated: Hypothesis strategies over config files, search spaces, CLI arguments
and filter/sort queries (non-UTF-8 bytes, NaN/inf, control characters, huge and tiny numbers, alias-heavy
YAML), asserting one invariant for all of them:

* exit code 0 or 2 (a user mistake is never exit 1, never a traceback);
* every ``--json`` that succeeds prints valid JSON;
* nothing stored changes when a command is refused (and read-only commands change nothing at all).

Bounded for CI: derandomized, a few dozen examples per strategy, in-process CLI (typer's runner), and a
few subprocess cases for what only a real process shows. ``run`` is pointed at a port this module holds,
so a config that passes validation stops at "port in use" (exit 2) before anything is made.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tunelab.base import InvalidInputError, SearchSpaceError
from tunelab.cli import app
from tunelab.space import parse_search_space
from tunelab.storage import ExperimentRecord, MemoryStore, SqliteStore, parse_filter
from tunelab.trial import Trial, TrialState

EXAMPLES = 30
FAST = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

# == building blocks =========================================================================================
CONTROL = st.sampled_from(["\x1b[31m", "\x07", "\r\n", "\t", "\x7f", "\u202e", "\x00"])
WEIRD_TEXT = st.one_of(
    st.text(max_size=12),
    st.builds(lambda a, c, b: a + c + b, st.text(max_size=5), CONTROL, st.text(max_size=5)),
    st.sampled_from(["", " ", "NaN", "Infinity", "-Infinity", "1e-5", "..", "`a.b`", "[red]x[/]", "é", "x" * 400]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 5e-324, 1e-300, 1e308, -1e308, 2**63, float("nan"), float("inf")]),
)
SCALARS = st.one_of(NUMBERS, WEIRD_TEXT, st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(WEIRD_TEXT, inner, max_size=3)),
                      max_leaves=6)
TYPES = ["choice", "randint", "uniform", "quniform", "loguniform", "qloguniform", "normal", "qnormal",
         "lognormal", "qlognormal", "bogus"]
PARAMETER = st.one_of(
    st.fixed_dictionaries({"_type": st.sampled_from(TYPES), "_value": st.lists(NUMBERS, min_size=0, max_size=4)}),
    st.fixed_dictionaries({"_type": st.sampled_from(TYPES), "_value": VALUES}),
    VALUES,
)
SPACES = st.dictionaries(WEIRD_TEXT, PARAMETER, max_size=3)

BASE: dict[str, Any] = {
    "trialCommand": "true",
    "trialCodeDirectory": ".",
    "trialConcurrency": 1,
    "maxTrialNumber": 1,
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "tuner": {"name": "Random"},
    "trainingService": {"platform": "local"},
}
CONFIG_KEYS = ["experimentName", "trialConcurrency", "maxTrialNumber", "maxTrialDuration", "maxExperimentDuration",
               "trialGpuNumber", "maxTrialRetries", "searchSpace", "tuner", "trialCommand", "logLevel",
               "experimentWorkingDirectory", "colour"]
CONFIGS = st.builds(lambda changes: {**BASE, **changes},
                    st.dictionaries(st.sampled_from(CONFIG_KEYS), st.one_of(VALUES, SPACES), max_size=3))


def alias_bomb(levels: int, width: int) -> str:
    lines = [f"b0: &b0 [{', '.join(['lol'] * width)}]"]
    lines += [f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return json.dumps(data, allow_nan=True, default=str)


CONFIG_FILES = st.builds(
    lambda data, encoding, bomb: (bomb + _dump(data)).encode(encoding, errors="replace"),
    CONFIGS,
    st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16", "utf-16-be", "cp1252"]),
    st.one_of(st.just(""), st.builds(alias_bomb, st.integers(1, 9), st.integers(2, 9))),
)


# == fixtures ================================================================================================
@pytest.fixture(scope="module")
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TUNELAB_HOME with one finished experiment ``done`` of two trials."""
    from tests.reliability.harness import free_port

    from tunelab.cli._lifecycle import run_foreground
    from tunelab.config import load_config

    root = tmp_path_factory.mktemp("generated")
    home = root / "home"
    (root / "trial.py").write_text("import tunelab.trial_api as api\np = api.get_next_parameter()\n"
                                   "api.report_intermediate_result(p['x'])\napi.report_final_result(p['x'])\n")
    config = root / "config.yml"
    config.write_text(yaml.safe_dump({**BASE, "trialCommand": "python3 trial.py", "maxTrialNumber": 2,
                                      "experimentWorkingDirectory": str(home)}))
    status = run_foreground(load_config(config), port=free_port(), experiment_id="done", quiet=True)
    assert status.value == "DONE"
    return home


def invoke(home: Path, args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"TUNELAB_HOME": str(home), "COLUMNS": "120"})


def assert_invariant(result: Any, args: list[str]) -> None:
    output = result.output
    assert result.exit_code in (0, 2), (args, result.exit_code, output, result.exception)
    assert isinstance(result.exception, (SystemExit, type(None))), (args, repr(result.exception), output)
    assert "Traceback" not in output, (args, output)
    if result.exit_code == 0 and "--json" in args:
        json.loads(result.stdout)  # strict JSON: no bare NaN/Infinity


def fingerprint(home: Path) -> Any:
    with SqliteStore(home / "done" / "tunelab.db", "done", readonly=True) as store:
        record = store.get_experiment()
        trials = [(t.id, json.dumps(t.parameters, sort_keys=True, default=str), t.status.value,
                   t.final_data if t.final_data is None else json.dumps(t.final_data, default=str))
                  for t in store.list_trials()]
        metrics = sorted((m.trial_id, m.sequence, repr(m.value)) for m in store.iter_metrics())
    return json.dumps(record.config, sort_keys=True, default=str), record.status, trials, metrics


# == config files ============================================================================================
@FAST
@given(raw=CONFIG_FILES)
def test_generated_config_files(tmp_path_factory: pytest.TempPathFactory, taken_port: int, raw: bytes) -> None:
    root = tmp_path_factory.mktemp("cfg")
    home = root / "home"
    home.mkdir()
    (root / "config.yml").write_bytes(raw)
    args = ["run", str(root / "config.yml"), "--port", str(taken_port)]
    result = invoke(home, args)
    assert_invariant(result, args)
    assert result.exit_code == 2, (result.exit_code, result.output)  # refused, or stopped at the taken port
    assert list(home.iterdir()) == [], "a refused run left something in TUNELAB_HOME"


# == search spaces ===========================================================================================
@settings(FAST, max_examples=200)
@given(space=SPACES)
def test_generated_search_spaces(space: dict[str, Any]) -> None:
    try:
        parsed = parse_search_space(space)
    except SearchSpaceError as exc:
        error: SearchSpaceError | None = exc
    else:
        error = None
    if error is not None:
        assert error.exit_code == 2
        assert error.message
        return
    for parameter in parsed.parameters:
        from_unit = getattr(parameter, "from_unit", None)
        if from_unit is None:
            continue
        for u in (0.0, 0.5, 1.0):
            value = from_unit(u)
            if isinstance(value, float):
                assert math.isfinite(value), (space, u, value)


# == CLI arguments against a finished experiment ===========================================================
ARG_TEXT = WEIRD_TEXT.filter(lambda s: "\x00" not in s)  # argv cannot hold NUL
COMMANDS = st.one_of(
    st.builds(lambda i, j: ["show", i, *j], st.one_of(st.just("done"), ARG_TEXT), st.sampled_from([[], ["--json"]])),
    st.builds(lambda h, j: ["trial", "ls", "done", *h, *j],
              st.one_of(st.just([]), st.builds(lambda n: ["--head", str(n)], NUMBERS),
                        st.builds(lambda t: ["--tail", t], ARG_TEXT)),
              st.sampled_from([[], ["--json"]])),
    st.builds(lambda t, f: ["export", "done", "--type", t, *f], st.sampled_from(["json", "csv", "xml", ""]),
              st.one_of(st.just([]), st.builds(lambda p: ["--filename", f"/nonexistent-dir/{p}"], ARG_TEXT))),
    st.builds(lambda w, v: ["update", "done", w, v],
              st.sampled_from(["concurrency", "trialnum", "duration", "colour"]), ARG_TEXT),
    st.builds(lambda j: ["list", "--all", *j], st.sampled_from([[], ["--json"]])),
    st.builds(lambda j: ["best", "done", *j], st.sampled_from([[], ["--json"]])),
    st.builds(lambda n: ["log", "done", "--name", n], ARG_TEXT),
    st.builds(lambda p: ["view", "done", "--port", p], st.sampled_from(["70000", "-1", "x", "99999999999999999999"])),
)

# Refusals that still exit 1: another lane's items. "update" of a stopped experiment answers "not running"
# (a ConflictError, exit 1 by the error table); items 20-23 own the dead-manager and argument rules.
_OTHER_LANES = ("is not running", "not running")


@FAST
@given(args=COMMANDS)
def test_generated_cli_arguments(finished: Path, args: list[str]) -> None:
    before = fingerprint(finished)
    result = invoke(finished, args)
    if result.exit_code == 1 and any(needle in result.output for needle in _OTHER_LANES):
        return  # see _OTHER_LANES
    assert_invariant(result, args)
    assert fingerprint(finished) == before, args


# == filter and sort queries: the SQL and the Python paths agree or both refuse ============================
FILTER_ATOMS = st.one_of(
    WEIRD_TEXT,
    st.builds(lambda k, o, v: f"{k}{o}{v}", st.sampled_from(["x", "`a.b`", "a.b", "final", "status", "metric.x",
                                                             "params.x", "`x", "model.`a.b`"]),
              st.sampled_from(["=", ">", "<=", "!=", ":", ".."]), WEIRD_TEXT),
)
FILTERS = st.lists(FILTER_ATOMS, max_size=3).map(" ".join)
SORTS = st.one_of(st.sampled_from(["sequence", "final", "params.x", "params.`a.b`", "metric.x"]), WEIRD_TEXT)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    sqlite = SqliteStore(tmp_path_factory.mktemp("q") / "tunelab.db", "e1")
    memory = MemoryStore("e1")
    params = [{"x": 0.5, "a.b": 1}, {"x": 2, "a": {"b": 3}}, {"x": "sgd", "model": {"a.b": 1}}, {}]
    for store in (sqlite, memory):
        store.create_experiment(ExperimentRecord(id="e1", name=None, config={}))
        for i, p in enumerate(params):
            store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters=p, status=TrialState.SUCCEEDED))
    yield sqlite, memory
    sqlite.close()
    memory.close()


@settings(FAST, max_examples=100)
@given(text=FILTERS, sort=SORTS, descending=st.booleans())
def test_generated_filters(stores: tuple[Any, Any], text: str, sort: str, descending: bool) -> None:
    try:
        query = parse_filter(text, sort=sort, descending=descending)
    except InvalidInputError as exc:
        refused: InvalidInputError | None = exc
    else:
        refused = None
    if refused is not None:
        assert refused.exit_code == 2
        return
    pages = [[t.id for t in store.query_trials(query).trials] for store in stores]
    assert pages[0] == pages[1], (text, sort, pages)


# == a few real processes ====================================================================================
@pytest.mark.parametrize("raw", [
    "experimentName: Expérience\ntrialCommand: true\n".encode("latin-1"),
    "trialCommand: true\n".encode("utf-16"),
    alias_bomb(9, 9).encode(),
], ids=["latin-1", "utf-16", "alias bomb"])
def test_subprocess_refusals(tmp_path: Path, raw: bytes) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "c.yml").write_bytes(raw)
    done = subprocess.run([sys.executable, "-m", "tunelab.cli", "run", str(tmp_path / "c.yml"), "--port", "0"],
                          check=False, capture_output=True, text=True, timeout=60,
                          env={"TUNELAB_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "error:" in done.stderr
    assert list(home.iterdir()) == []

