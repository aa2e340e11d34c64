"""Log files: a trial's logs by name (confined to the trial's own directory) and the manager log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query

from tunelab.base import InvalidInputError, NotFoundError
from tunelab.manager import manager_log_path, validate_experiment_id
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context

router = APIRouter(prefix="/api/v1", tags=["logs"])
LOG_NAMES = ("stdout", "stderr", "trial.log")
MAX_CHUNK = 4 * 1024 * 1024


@router.get("/trials/{trial_id}/logs/{name}")
def read_log(
    trial_id: str,
    name: str,
    tail: int | None = Query(None, ge=1, le=MAX_CHUNK, description="last N bytes"),
    offset: int = Query(0, ge=0),
    length: int = Query(256 * 1024, ge=1, le=MAX_CHUNK),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    if name not in LOG_NAMES:
        raise InvalidInputError(f"log name: {name!r} is not a trial log; use one of {', '.join(LOG_NAMES)}")
    context.store.get_trial(trial_id)  # 404 for an unknown trial before touching the disk
    validate_experiment_id(trial_id)  # trial ids share the id alphabet: no '/', no '..'
    path = _confined(context.experiment_dir / "trials" / trial_id, name)
    return {"name": name, **_window(path, tail, offset, length)}


@router.get("/logs/manager")
def read_manager_log(
    tail: int | None = Query(None, ge=1, le=MAX_CHUNK, description="last N bytes"),
    offset: int = Query(0, ge=0),
    length: int = Query(256 * 1024, ge=1, le=MAX_CHUNK),
    context: AppContext = Depends(get_context),
) -> dict[str, Any]:
    """The experiment's manager log (empty, size 0, when the manager that ran it wrote none)."""
    path = manager_log_path(context.experiment_dir)
    if path.is_symlink():
        raise NotFoundError("the manager log is a link; only regular files are served")
    return {"name": "manager.log", **_window(path, tail, offset, length)}


def _window(path: Path, tail: int | None, offset: int, length: int) -> dict[str, Any]:
    """The bytes ``[offset, offset+length)`` of the file, or its last ``tail`` bytes, as text."""
    size = path.stat().st_size if path.exists() else 0
    start = max(0, size - tail) if tail is not None else min(offset, size)
    count = tail if tail is not None else length
    data = b""
    if size:
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read(count)
    return {"size": size, "offset": start, "text": data.decode("utf-8", errors="replace"), "path": str(path)}


def _confined(directory: Path, name: str) -> Path:
    """The log file's real path, refusing anything (a symlink included) that leads out of the trial dir."""
    base = directory.resolve()
    candidate = (directory / name)
    if candidate.is_symlink() or not candidate.exists():
        if candidate.is_symlink():
            raise NotFoundError(f"log {name} of this trial is a link; only regular files are served")
        return candidate
    real = candidate.resolve()
    if os.path.commonpath([real, base]) != str(base):
        raise NotFoundError(f"log {name} is outside the trial's directory")
    return real
