"""User strings printed by the CLI cannot drive the terminal: control characters come out visible
(``\\x1b``), Rich markup in them is printed as text. Every check runs the real CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.conftest import Cli

RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e")
NAME = "evil\x1b[31mRED\x07\r\nFAKE\u202e [bold]x[/bold] tunelab[postgres]"
VALUE = "\x1b]8;;http://evil.example\x07link[red]v"
TRIAL = """
import tunelab
params = tunelab.get_next_parameter()
tunelab.report_final_result(0.5)
"""


def _assert_harmless(text: str) -> None:
    for char in RAW:
        assert char not in text, (char, text)


@pytest.fixture
def finished(cli: Cli) -> Cli:
    cli.write("trial.py", TRIAL)
    cli.write("search_space.json", json.dumps({"opt": {"_type": "choice", "_value": [VALUE]}}))
    config = cli.config(experimentName=NAME, maxTrialNumber=1, trialConcurrency=1,
                        trialCommand=f"{sys.executable} trial.py")
    result = cli("run", str(config), "--id", "esc", "--port", "0", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_harmless(result.stdout + result.stderr)  # the progress view and its closing lines
    return cli


def test_list_show_trial_ls_and_best_escape_controls(finished: Cli) -> None:
    # (`export` and `log` print data: the exact bytes, as `cat` would; JSON output escapes controls itself.)
    for args in (("list", "--all"), ("show", "esc"), ("trial", "ls", "esc"), ("best", "esc"),
                 ("export", "esc", "--type", "json"), ("trial", "ls", "esc", "--json")):
        result = finished(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        _assert_harmless(result.stdout + result.stderr)
        if args[0] in ("list", "show"):
            assert "\\x1b" in result.stdout, (args, result.stdout)
    shown = finished("show", "esc").stdout
    assert "[bold]x[/bold] tunelab[postgres]" in shown, shown  # markup in the name printed as text
    trials = finished("trial", "ls", "esc").stdout
    assert "link[red]v" in trials, trials


def test_error_messages_escape_controls_and_markup(cli: Cli) -> None:
    result = cli("run", "/nonexistent/a\x1b[2Jb\x07.yml")
    assert result.returncode == 2, result.stderr
    _assert_harmless(result.stderr)
    result = cli("show", "x[b]y")
    assert result.returncode == 2, result.stderr
    assert "'x[b]y'" in result.stderr, result.stderr


def test_the_postgres_hint_keeps_its_brackets(cli: Cli, tmp_path: Path) -> None:
    shadow = tmp_path / "no-psycopg" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('psycopg hidden by the test')\n")
    config = cli.config(maxTrialNumber=1)
    result = subprocess.run(
        [sys.executable, "-m", "tunelab.cli", "run", str(config), "--storage", "postgresql://u:p@127.0.0.1:1/db",
         "--port", "0"],
        cwd=cli.workdir, env={**cli.env, "PYTHONPATH": str(shadow.parent)}, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode != 0
    assert "pip install 'tunelab[postgres]'" in result.stderr, result.stderr
