"""Opening another, stopped experiment from the UI: a read-only ``tunelab view`` of it, started on demand.

The viewer is its own detached process (what ``tunelab view ID`` starts), reached through the CLI's
process boundary rather than an import: the server layer does not import the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from tunelab.base import ConflictError, NotFoundError, TunelabError
from tunelab.manager import read_info
from tunelab.server._context import ServerSettings
from tunelab.storage import scan_experiments

#: ``tunelab view`` waits for its manager to serve; a viewer only opens a database, so this is generous.
START_TIMEOUT_S = 120.0


def open_viewer(root: Path, experiment_id: str, settings: ServerSettings) -> tuple[str, bool]:
    """The URL of a UI serving ``experiment_id`` (its running manager's, or a viewer's started now) and
    whether a viewer was started.

    The viewer binds the same host as this server (a free port) and takes its token, so whoever may use
    this UI may use that one. Raises NotFoundError for an id that is not an experiment under ``root``
    and TunelabError carrying ``tunelab view``'s own message when it cannot start.
    """
    directory = _experiment_dir(root, experiment_id)
    running = read_info(directory)
    if running is not None:
        # Its token only when it is this server's: another manager's token is not this user's to learn.
        return _with_token(running.url, running.token if running.token == settings.token else None), False
    args = [sys.executable, "-m", "tunelab.cli", "view", experiment_id, "--port", "0", "--host", settings.host]
    if settings.token:
        args += ["--token", settings.token]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise TunelabError(f"experiment {experiment_id!r}: the viewer did not start within {START_TIMEOUT_S:.0f} s; "
                           f"try `tunelab view {experiment_id}`") from e
    started = read_info(directory)
    if done.returncode != 0 or started is None:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise ConflictError(f"experiment {experiment_id!r}: could not open it read-only: "
                            f"{reason[-1] if reason else f'tunelab view exited with {done.returncode}'}")
    return _with_token(started.url, settings.token), True


def _with_token(url: str, token: str | None) -> str:
    """The viewer shares this server's token: opening its URL with it lets the browser in (a cookie)."""
    return f"{url}?{urlencode({'token': token})}" if token else url


def _experiment_dir(root: Path, experiment_id: str) -> Path:
    # Only an experiment the Experiments page lists: never a path or an option-like argument.
    listed = {listing.directory.name: listing.directory for listing in scan_experiments(root)}
    if experiment_id.startswith("-") or experiment_id not in listed:
        raise NotFoundError(f"experiment: no experiment {experiment_id!r} under {root}; the Experiments page "
                            "lists the ones there")
    return listed[experiment_id]
