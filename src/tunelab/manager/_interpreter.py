"""Trials use the Python that runs tunelab: the manager's virtual environment goes first on their PATH.

People run ``.venv/bin/tunelab`` (or ``.venv/bin/python search.py``) without activating the venv; a
``python3`` in ``trialCommand`` then resolved to the system interpreter and every trial died with
``ModuleNotFoundError``. The manager's own venv is what the user meant, so its ``bin`` is put first on the
trials' ``PATH``. An absolute interpreter in ``trialCommand`` is not looked up on ``PATH`` and so is left
alone. Conda environments and plain system interpreters have ``sys.prefix == sys.base_prefix``: nothing
changes for them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def venv_bin(prefix: str | None = None, base_prefix: str | None = None) -> Path | None:
    """The ``bin`` directory of the virtual environment this interpreter runs in, or None outside one."""
    prefix = sys.prefix if prefix is None else prefix
    base_prefix = sys.base_prefix if base_prefix is None else base_prefix
    if os.path.realpath(prefix) == os.path.realpath(base_prefix):
        return None
    directory = Path(prefix) / "bin"
    return directory if directory.is_dir() else None


def venv_path_env(environ: Mapping[str, str] | None = None, *, bin_dir: Path | None = None) -> dict[str, str]:
    """``{"PATH": ...}`` with the venv's ``bin`` first when it is not first already; ``{}`` otherwise.

    ``environ``: the environment trials inherit (default: this process's); ``bin_dir``: the venv's bin
    (default: :func:`venv_bin`).
    """
    environ = os.environ if environ is None else environ
    directory = venv_bin() if bin_dir is None else bin_dir
    if directory is None:
        return {}
    entries = [entry for entry in environ.get("PATH", "").split(os.pathsep) if entry]
    if entries and _same_dir(entries[0], directory):
        return {}
    rest = [entry for entry in entries if not _same_dir(entry, directory)]
    return {"PATH": os.pathsep.join([str(directory), *rest])}


def interpreter_note(environ: Mapping[str, str] | None = None) -> str | None:
    """The banner line naming the interpreter trials get (``python3 -> /x/.venv/bin/python3``), or None
    when their PATH is left as it is."""
    directory = venv_bin()
    if directory is None or not venv_path_env(environ, bin_dir=directory):
        return None
    name = "python3" if (directory / "python3").exists() else "python"
    return f"{name} -> {directory / name} (this virtual environment's bin is first on the trials' PATH)"


def _same_dir(entry: str, directory: Path) -> bool:
    return os.path.realpath(entry) == os.path.realpath(directory)
