"""Data the CLI passes through reaches a pipe byte-exact and a terminal with its escape sequences shown."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from tunelab.client import for_terminal

HOSTILE = 'x,"\x1b]8;;http://evil\x07click\x1b]8;;\x07"\r\n1,\x1b[2J\n'


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_the_bytes_unchanged() -> None:
    assert for_terminal(HOSTILE, io.StringIO()) == HOSTILE


def test_a_terminal_sees_the_escapes_instead_of_obeying_them() -> None:
    shown = for_terminal(HOSTILE, _Terminal())
    assert "\x1b" not in shown
    assert "\x07" not in shown
    assert "\\x1b]8;;http://evil\\x07click" in shown
    assert shown.count("\n") == HOSTILE.count("\n")  # rows stay rows


def test_export_csv_on_a_real_terminal_shows_the_escapes(tmp_path: Path) -> None:
    """`tunelab export --type csv` with stdout on a pseudo-terminal: the trial's escape is not sent raw."""
    from tunelab.config import parse_config
    from tunelab.manager import create_session

    (tmp_path / "trial.py").write_text(
        "import tunelab\np = tunelab.get_next_parameter()\ntunelab.report_final_result({'default': 1.0, "
        "'note': '\\x1b[2Jcleared'})\n")
    config = parse_config({
        "experimentName": "pty", "searchSpace": {"x": {"_type": "choice", "_value": [1]}},
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(tmp_path),
        "trialConcurrency": 1, "maxTrialNumber": 1, "tuner": {"name": "Random"},
        "experimentWorkingDirectory": str(tmp_path / "home"), "trainingService": {"platform": "local"},
    })
    import asyncio

    session = create_session(config, experiment_id="ptyexp")
    assert session.manager is not None
    asyncio.run(session.manager.run())
    session.close()
    parent, child = pty.openpty()
    env = {**os.environ, "TUNELAB_HOME": str(tmp_path / "home")}
    with subprocess.Popen([sys.executable, "-m", "tunelab.cli", "export", "ptyexp", "--type", "csv"], stdout=child,
                          stderr=subprocess.PIPE, env=env) as process:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(parent, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(parent)
    out = b"".join(chunks).decode()
    assert process.returncode == 0, process.stderr
    assert "cleared" in out
    assert "\x1b[2J" not in out
    assert "\\x1b[2J" in out
