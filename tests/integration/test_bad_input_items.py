"""Issue 10, items 10-17: user mistakes that printed a traceback (exit 1) or hung now exit 2 with a message.

Every case runs the CLI in-process against an empty TUNELAB_HOME and checks that nothing was created.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tunelab.cli import app

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}
BASE: dict[str, Any] = {
    "trialCommand": "true",
    "trialCodeDirectory": ".",
    "trialConcurrency": 1,
    "maxTrialNumber": 1,
    "tuner": {"name": "Random"},
    "trainingService": {"platform": "local"},
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def invoke(home: Path, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"TUNELAB_HOME": str(home), "COLUMNS": "200"})


def assert_refused(result: Any, needles: list[str], home: Path | None = None) -> str:
    output = result.output
    assert result.exit_code == 2, (result.exit_code, output, result.exception)
    assert isinstance(result.exception, SystemExit), f"unexpected exception {result.exception!r}"
    assert "Traceback" not in output
    text = " ".join(output.split())
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
    if home is not None:
        assert list(home.iterdir()) == [], "a refused command left something in TUNELAB_HOME"
    return text


def _config_text(**overrides: Any) -> str:
    return yaml.safe_dump({**BASE, "searchSpace": SPACE, **overrides}, allow_unicode=True)


# == item 10: files that are not UTF-8 ======================================================================
ENCODINGS = [("latin-1", "latin-1", "latin-1"), ("utf-16", "utf-16", "UTF-16"), ("utf-16-be", "utf-16-be", "UTF-16")]


@pytest.mark.parametrize(("codec", "hint"), [c[1:] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS])
@pytest.mark.parametrize("command", ["run", "create"])
def test_config_not_utf8(tmp_path: Path, home: Path, command: str, codec: str, hint: str) -> None:
    config = tmp_path / "config.yml"
    config.write_bytes(_config_text(experimentName="Expérience ü").encode(codec))
    args = ["run", str(config)] if command == "run" else ["create", "--config", str(config)]
    assert_refused(invoke(home, *args, "--port", "18599"), ["config.yml", "not UTF-8", hint, "UTF-8"], home)


@pytest.mark.parametrize(("codec", "hint"), [c[1:] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS])
@pytest.mark.parametrize("where", ["searchSpaceFile", "update"])
def test_search_space_not_utf8(tmp_path: Path, home: Path, where: str, codec: str, hint: str) -> None:
    space = tmp_path / "space.json"
    space.write_bytes('{"café": {"_type": "choice", "_value": ["é"]}}'.encode(codec))
    if where == "update":
        result = invoke(home, "update", "someexp", "searchspace", str(space))
    else:
        config = tmp_path / "config.yml"
        data = {**BASE, "searchSpaceFile": str(space)}
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        result = invoke(home, "run", str(config), "--port", "18599")
    assert_refused(result, ["space.json", "not UTF-8", hint], home)


def test_utf8_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    from tunelab.config import load_config

    config = tmp_path / "config.yml"
    config.write_bytes(b"\xef\xbb\xbf" + _config_text(experimentName="ü").encode())
    assert load_config(config).experiment_name == "ü"


# == item 15: YAML alias bombs ==============================================================================
def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["config", "searchSpaceFile", "searchSpace", "update"])
def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path, home: Path, where: str) -> None:
    bomb = billion_laughs()
    assert len(bomb) < 700  # the issue's 628-byte document hung for over 90 s
    config = tmp_path / "config.yml"
    space = tmp_path / "space.yml"
    if where == "config":
        config.write_text(bomb + _config_text())
    elif where == "searchSpaceFile":
        space.write_text(bomb + 'x: {_type: choice, _value: *l8}\n')
        config.write_text(yaml.safe_dump({**BASE, "searchSpaceFile": str(space)}))
    elif where == "searchSpace":
        inner = "\n".join("  " + line for line in bomb.splitlines())
        config.write_text(_config_text(searchSpace=None).replace("searchSpace: null\n", "")
                          + f"searchSpace:\n{inner}\n  x: {{_type: choice, _value: *l8}}\n")
    else:
        space.write_text(bomb + 'x: {_type: choice, _value: *l8}\n')
    started = time.monotonic()
    if where == "update":
        result = invoke(home, "update", "someexp", "searchspace", str(space))
    else:
        result = invoke(home, "run", str(config), "--port", "18599")
    elapsed = time.monotonic() - started
    assert_refused(result, ["anchors and aliases", "expands to more than"], home)
    assert elapsed < 5, f"refusing the bomb took {elapsed:.1f} s"


def test_recursive_yaml_is_refused(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(_config_text() + "loop: &loop [*loop]\n")
    assert_refused(invoke(home, "run", str(config), "--port", "18599"), ["anchors and aliases"], home)


def test_ordinary_aliases_still_load(tmp_path: Path) -> None:
    from tunelab.space import load_search_space

    space = tmp_path / "space.yml"
    space.write_text("a: &v {_type: choice, _value: [1, 2]}\nb: *v\n")
    assert load_search_space(space).to_nni() == {"a": {"_type": "choice", "_value": [1, 2]},
                                                 "b": {"_type": "choice", "_value": [1, 2]}}


# == item 12: ports outside 0..65535 ========================================================================
@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
@pytest.mark.parametrize("command", ["run", "create", "resume", "view"])
def test_port_out_of_range(tmp_path: Path, home: Path, command: str, port: str) -> None:
    config = tmp_path / "config.yml"
    config.write_text(_config_text())
    args = {"run": ["run", str(config)], "create": ["create", "--config", str(config)],
            "resume": ["resume", "someexp"], "view": ["view", "someexp"]}[command]
    assert_refused(invoke(home, *args, "--port", port), ["--port", port, "from 0 to 65535"], home)


@pytest.mark.parametrize("port", [70000, -1, True])
def test_port_out_of_range_python_api(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch,
                                      port: Any) -> None:
    from tunelab.base import InvalidInputError
    from tunelab.client import start_detached
    from tunelab.config import load_config
    from tunelab.experiment import Experiment
    from tunelab.server import bind_socket

    monkeypatch.setenv("TUNELAB_HOME", str(home))
    config = tmp_path / "config.yml"
    config.write_text(_config_text())
    cfg = load_config(config)
    with pytest.raises(InvalidInputError, match="port must be an integer from 0 to 65535"):
        bind_socket("127.0.0.1", port)
    with pytest.raises(InvalidInputError, match="port must be an integer from 0 to 65535"):
        start_detached(cfg, port=port)
    with pytest.raises(InvalidInputError, match="port must be an integer from 0 to 65535"):
        Experiment(cfg).start(port=port)
    assert list(home.iterdir()) == []


# == item 14: q-grids too fine to count and ranges whose width overflows ====================================
OVERFLOWING = [
    ("quniform q 5e-324", {"_type": "quniform", "_value": [0, 1, 5e-324]}, ["q=5e-324", "too small", "larger q"]),
    ("qloguniform q tiny", {"_type": "qloguniform", "_value": [1, 1e300, 1e-300]}, ["q=1e-300", "too small"]),
    ("qnormal q tiny", {"_type": "qnormal", "_value": [0, 1e10, 1e-300]}, ["q=1e-300", "too small"]),
    ("uniform width inf", {"_type": "uniform", "_value": [-1e308, 1e308]}, ["too wide", "overflows", "1e+308"]),
    ("quniform width inf", {"_type": "quniform", "_value": [-1e308, 1e308, 1]}, ["too wide", "overflows"]),
    ("normal sigma huge", {"_type": "normal", "_value": [0, 1e308]}, ["too wide", "overflows"]),
]


@pytest.mark.parametrize(("spec", "needles"), [c[1:] for c in OVERFLOWING], ids=[c[0] for c in OVERFLOWING])
def test_overflowing_numeric_range(tmp_path: Path, home: Path, spec: Any, needles: list[str]) -> None:
    config = tmp_path / "config.yml"
    config.write_text(_config_text(searchSpace={"x": spec}))
    assert_refused(invoke(home, "run", str(config), "--port", "18599"), ["searchSpace.x", *needles], home)


def test_fine_but_countable_q_grids_still_parse() -> None:
    from tunelab.space import parse_search_space

    space = parse_search_space({"a": {"_type": "quniform", "_value": [0, 1, 1e-12]},
                                "b": {"_type": "uniform", "_value": [-1e307, 1e307]},
                                "c": {"_type": "qnormal", "_value": [0, 1, 1e-9]}})
    assert [p.name for p in space.parameters] == ["a", "b", "c"]


# == item 13: export --filename into a missing folder or onto a directory ====================================
@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TUNELAB_HOME holding one finished one-trial experiment, ``done``."""
    from tests.reliability.harness import free_port

    from tunelab.cli._lifecycle import run_foreground
    from tunelab.config import load_config

    root = tmp_path_factory.mktemp("finished")
    home = root / "home"
    (root / "trial.py").write_text("import tunelab.trial_api as api\napi.get_next_parameter()\n"
                                   "api.report_final_result(1.0)\n")
    config = root / "config.yml"
    config.write_text(_config_text(trialCommand="python3 trial.py", experimentWorkingDirectory=str(home)))
    status = run_foreground(load_config(config), port=free_port(), experiment_id="done", quiet=True)
    assert status.value == "DONE"
    return home


def _tree(path: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(path)), p.stat().st_size) for p in path.rglob("*") if p.is_file()
                  and not p.name.endswith(("-wal", "-shm")))


@pytest.mark.parametrize("target", ["missing folder", "a directory", "under a file"])
def test_export_filename_unwritable(finished: Path, tmp_path: Path, target: str) -> None:
    (tmp_path / "file.txt").write_text("keep")
    path = {"missing folder": tmp_path / "nope" / "out.json", "a directory": tmp_path,
            "under a file": tmp_path / "file.txt" / "out.json"}[target]
    needle = {"missing folder": "does not exist", "a directory": "is a directory",
              "under a file": "does not exist"}[target]
    before = _tree(finished)
    result = invoke(finished, "export", "done", "--filename", str(path))
    assert_refused(result, ["--filename", needle])
    assert _tree(finished) == before
    assert (tmp_path / "file.txt").read_text() == "keep"


def test_export_filename_writes(finished: Path, tmp_path: Path) -> None:
    result = invoke(finished, "export", "done", "--filename", str(tmp_path / "out.json"))
    assert result.exit_code == 0, result.output
    assert '"parameter"' in (tmp_path / "out.json").read_text()


# == item 11: experimentWorkingDirectory that cannot hold experiments =======================================
def _workdir(tmp_path: Path, case: str) -> tuple[Path, str]:
    if case == "under a file":
        (tmp_path / "afile").write_text("x")
        return tmp_path / "afile" / "exps", "is a file"
    if case == "a file":
        (tmp_path / "afile").write_text("x")
        return tmp_path / "afile", "is a file"
    if case == "under /proc":
        return Path("/proc/tunelab-test/exps"), "/proc"
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return locked / "exps", "ermission denied" if case == "unwritable parent" else ""


@pytest.mark.parametrize("case", ["under a file", "a file", "under /proc", "unwritable parent"])
@pytest.mark.parametrize("command", ["run", "create"])
def test_working_directory_unusable(tmp_path: Path, home: Path, command: str, case: str) -> None:
    import os

    if case == "unwritable parent" and os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    workdir, needle = _workdir(tmp_path, case)
    config = tmp_path / "config.yml"
    config.write_text(_config_text(experimentWorkingDirectory=str(workdir)))
    args = ["run", str(config)] if command == "run" else ["create", "--config", str(config)]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert_refused(invoke(home, *args, "--port", "18599"),
                   ["experimentWorkingDirectory", str(workdir), needle, "writable directory"], home)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing half-made


@pytest.mark.parametrize("command", ["run", "create"])
def test_working_directory_root_cannot_write(tmp_path: Path, home: Path, command: str) -> None:
    """The unwritable case as root, who writes anywhere except in an immutable folder (chattr +i)."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr (the non-root case is the 'unwritable parent' one above)")
    locked = tmp_path / "immutable"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True, check=False).returncode != 0:
        pytest.skip("this file system has no immutable flag")
    try:
        workdir = locked / "exps"
        config = tmp_path / "config.yml"
        config.write_text(_config_text(experimentWorkingDirectory=str(workdir)))
        args = ["run", str(config)] if command == "run" else ["create", "--config", str(config)]
        before = sorted(p.name for p in tmp_path.rglob("*"))
        assert_refused(invoke(home, *args, "--port", "18599"),
                       ["experimentWorkingDirectory", str(workdir), "not permitted", "writable directory"], home)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing half-made
    finally:
        subprocess.run(["chattr", "-i", str(locked)], capture_output=True, check=False)


# == item 17: free-text fields capped; show and list stay fast for names stored before the cap ==============
def test_long_experiment_name_is_refused(tmp_path: Path, home: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(_config_text(experimentName="n" * 80_000))
    text = assert_refused(invoke(home, "run", str(config), "--port", "18599"),
                          ["experimentName", "at most 256 characters", "80,000"], home)
    assert len(text) < 1000  # the message does not echo the whole value


def test_show_and_list_with_a_huge_stored_name_are_fast(finished: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    home = tmp_path / "home"
    shutil.copytree(finished / "done", home / "done")
    with sqlite3.connect(home / "done" / "tunelab.db") as conn:
        conn.execute("UPDATE experiments SET name = ?", ("n" * 80_000,))
    conn.close()
    for args in (["show", "done"], ["list", "--all"]):
        started = time.monotonic()
        result = invoke(home, *args)
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert "80,000 characters" in result.output
        assert elapsed < 5, f"{args[0]} took {elapsed:.1f} s"
    shown = invoke(home, "show", "done", "--json")
    import json

    assert json.loads(shown.output)["name"] == "n" * 80_000  # --json keeps the whole value
