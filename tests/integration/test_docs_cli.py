"""`tunelab docs` builds the site and serves it on loopback (port 0: a free port)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tunelab.base import NotFoundError
from tunelab.cli._docs import build_site


def test_docs_serves_the_built_site() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tunelab.cli", "docs", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        with urllib.request.urlopen(match.group(0) + "reference/config/", timeout=10) as response:
            body = response.read().decode()
        assert "trialConcurrency" in body
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)  # closes the pipes too


def test_docs_without_a_checkout_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"no mkdocs\.yml"):
        build_site(tmp_path, tmp_path / "site")
