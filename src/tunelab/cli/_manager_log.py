"""`tunelab log ID` without --trial: print (and with -f follow) the experiment's manager log from disk."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from tunelab.base import NotFoundError
from tunelab.manager import find_experiment_dir, manager_log_path, read_info

FOLLOW_POLL_S = 0.25


def print_manager_log(experiment_id: str, *, tail: int | None, follow: bool) -> None:
    """Print ``<experiment>/log/manager.log`` (its last ``tail`` lines); ``follow`` keeps printing what the
    manager appends until it exits (or Ctrl-C). The file is read directly: it is on this machine whether or
    not a manager runs."""
    exp_dir = find_experiment_dir(experiment_id)
    path = manager_log_path(exp_dir)
    if not path.exists() and not (follow and read_info(exp_dir) is not None):
        raise NotFoundError(
            f"experiment {experiment_id} has no manager log ({path} is missing: it was last run by a tunelab "
            f"that wrote none); a trial's output is `tunelab log {experiment_id} --trial TRIAL_ID`"
        )
    position = _print_from(path, 0, tail)
    if not follow:
        return
    try:
        while True:
            running = read_info(exp_dir) is not None
            position = _print_from(path, position, None)
            if not running:
                return  # read once more after the manager was seen gone: its last lines are printed
            time.sleep(FOLLOW_POLL_S)  # following a file another process writes: nothing to await
    except KeyboardInterrupt:
        return


def _print_from(path: Path, position: int, tail: int | None) -> int:
    """Print the file from ``position`` (restarting at 0 when it shrank: rotated); returns the new end."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size < position:
        position = 0
    if size == position:
        return position
    with path.open("rb") as handle:
        handle.seek(position)
        data = handle.read(size - position)
    text = data.decode("utf-8", errors="replace")
    if tail is not None:
        text = "".join(text.splitlines(keepends=True)[-tail:]) if tail > 0 else ""
    typer.echo(text, nl=False)
    sys.stdout.flush()
    return position + len(data)
