"""Make sure the modules every trial imports have bytecode on disk.

A trial is a fresh interpreter; if ``tunelab``'s trial-side modules have no ``.pyc`` (an environment with
``PYTHONDONTWRITEBYTECODE=1``, a fresh checkout), every trial compiles them again: about 7 ms of CPU per trial
on the no-op benchmark, a third of the interpreter's own start-up. Writing them once, explicitly, costs
the manager a few milliseconds at start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import py_compile
from pathlib import Path

import tunelab

TRIAL_SIDE_PACKAGES = ("", "trial_api", "compat/_shim/nni")


def ensure_trial_bytecode() -> int:
    """Compile the trial-side modules whose bytecode is missing or stale; returns how many were written."""
    root = Path(tunelab.__file__).parent
    written = 0
    for package in TRIAL_SIDE_PACKAGES:
        directory = root / package
        if not directory.is_dir():
            continue
        for source in directory.glob("*.py"):
            target = Path(importlib.util.cache_from_source(str(source)))
            with contextlib.suppress(OSError):
                if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
                    continue
            # A read-only install simply keeps compiling in each trial; nothing to fix here.
            with contextlib.suppress(OSError, py_compile.PyCompileError):
                py_compile.compile(str(source), cfile=str(target), doraise=True)
                written += 1
    return written
