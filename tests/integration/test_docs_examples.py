"""Every runnable code block of the tutorial and the how-to guides is executed, so the docs cannot rot.

Convention (documented in docs/contributing-docs.md): fenced ``bash`` and ``python`` blocks run, in page
order, in one fresh temporary directory per page, with this venv's ``tunelab`` and ``python3`` first on
PATH and ``TUNELAB_HOME`` pointing into that directory. A block preceded by ``<!-- skip: reason -->`` (a
GPU, a cluster, a server that runs until interrupted) is not run; the reason is mandatory. A block preceded
by ``<!-- needs: xgboost, sklearn -->`` runs where those modules import (CI installs every optional
framework) and is reported as not run elsewhere. Other fence languages (yaml, text, ...) are shown only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted([DOCS / "tutorial" / "index.md", *(DOCS / "how-to").glob("*.md")])
RUNNABLE = {"bash", "python"}
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!--\s*skip:\s*(\S.*?)\s*-->\s*$")
NEEDS = re.compile(r"^<!--\s*needs:\s*([\w.]+(?:\s*,\s*[\w.]+)*)\s*-->\s*$")


@dataclass
class Block:
    language: str
    code: str
    line: int
    skip_reason: str | None
    needs: list[str] = field(default_factory=list)


def extract_blocks(text: str) -> list[Block]:
    """The fenced blocks of a markdown page, each with the skip reason of a marker right above it."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match and match.group(1):
            previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            if previous.lstrip().startswith("<!-- skip") and not SKIP.match(previous.strip()):
                raise ValueError(f"line {i}: a skip marker needs a reason: <!-- skip: why -->")
            skip = SKIP.match(previous.strip())
            needs = NEEDS.match(previous.strip())
            start = i
            i += 1
            body: list[str] = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            blocks.append(Block(match.group(1), "\n".join(body) + "\n", start + 1,
                                skip.group(1) if skip else None,
                                [m.strip() for m in needs.group(1).split(",")] if needs else []))
        i += 1
    return blocks


def run_page(page: Path, workdir: Path) -> None:
    """Run the page's runnable blocks in order in ``workdir``; fail naming the block and its output."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["TUNELAB_HOME"] = str(workdir / "experiments")
    for block in extract_blocks(page.read_text(encoding="utf-8")):
        if block.language not in RUNNABLE or block.skip_reason is not None:
            continue
        missing = [name for name in block.needs if importlib.util.find_spec(name) is None]
        if missing:
            warnings.warn(f"{page.name} block at line {block.line} not run: needs {', '.join(missing)}",
                          stacklevel=2)
            continue
        if block.language == "bash":
            argv = ["bash", "-euo", "pipefail", "-c", block.code]
        else:
            argv = [sys.executable, "-c", block.code]
        proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert proc.returncode == 0, (
            f"{page.name} block at line {block.line} ({block.language}) exited "
            f"{proc.returncode}:\n{block.code}\n--- stdout ---\n{proc.stdout[-3000:]}\n"
            f"--- stderr ---\n{proc.stderr[-3000:]}"
        )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_blocks_run(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


def test_a_broken_block_fails(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text("```bash\necho fine\n```\n\n```bash\ntunelab no-such-command\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="line 5"):
        run_page(page.resolve(), tmp_path)


def test_skipped_blocks_are_not_run_and_need_a_reason(tmp_path: Path) -> None:
    page = tmp_path / "skipped.md"
    page.write_text("<!-- skip: needs a GPU -->\n```bash\nexit 1\n```\n", encoding="utf-8")
    run_page(page, tmp_path)
    assert extract_blocks(page.read_text())[0].skip_reason == "needs a GPU"
    with pytest.raises(ValueError, match="needs a reason"):
        extract_blocks("<!-- skip -->\n```bash\nexit 1\n```\n")


def test_a_block_needing_a_missing_module_is_not_run(tmp_path: Path) -> None:
    page = tmp_path / "needs.md"
    page.write_text("<!-- needs: json, no_such_module_here -->\n```bash\nexit 1\n```\n\n"
                    "<!-- needs: json -->\n```bash\nexit 3\n```\n", encoding="utf-8")
    assert extract_blocks(page.read_text())[0].needs == ["json", "no_such_module_here"]
    with pytest.warns(UserWarning, match="not run: needs no_such_module_here"), \
            pytest.raises(AssertionError, match=r"line 7 \(bash\) exited 3"):  # the block whose modules are there runs
        run_page(page, tmp_path)
