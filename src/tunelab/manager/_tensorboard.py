"""TensorBoard over trials' ``$TUNELAB_TENSORBOARD_DIR`` folders: which trials have event files, which
trials a ``--trials`` selection names, and the TensorBoard command line (stdlib only, no TensorBoard)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tunelab.base import InvalidInputError, NotFoundError
from tunelab.base import env as _env
from tunelab.manager import _paths

#: NNI's ``nnictl tensorboard start`` default port.
TENSORBOARD_PORT = 6006
TENSORBOARD_INSTALL_HINT = "pip install tensorboard (with torch installed, add -c a file holding torch==<its version>)"
#: A run name in ``--logdir_spec`` ends at ':' and an entry at ','; a path holding either cannot be given.
_SPEC_CHARS = (",", ":")


def tensorboard_dir(exp_dir: Path, trial_id: str) -> Path:
    """``<trial dir>/tensorboard``: the folder a trial sees as ``$TUNELAB_TENSORBOARD_DIR``."""
    return _paths.trial_dir(exp_dir, trial_id) / _env.TENSORBOARD_DIR_NAME


def has_event_files(folder: Path) -> bool:
    """Whether anything was written under ``folder`` (the manager makes it empty for every trial)."""
    try:
        return any(path.is_file() for path in folder.rglob("*"))
    except OSError:
        return False


def trials_with_tensorboard(exp_dir: Path, trial_ids: Iterable[str]) -> list[str]:
    return [trial_id for trial_id in trial_ids if has_event_files(tensorboard_dir(exp_dir, trial_id))]


def run_name(trial: Mapping[str, Any]) -> str:
    """The name a trial's curves carry in TensorBoard: ``trial-<sequence>-<id>`` (as in MLflow)."""
    return f"trial-{trial['sequence']}-{trial['id']}"


def select_trials(trials: Sequence[Mapping[str, Any]], selection: str | None) -> list[Mapping[str, Any]]:
    """The trials ``--trials`` names (comma-separated trial numbers or ids), in the order given; every
    trial when ``selection`` is None. Raises InvalidInputError naming an entry that matches no trial."""
    if selection is None:
        return sorted(trials, key=lambda t: t["sequence"])
    by_id = {str(t["id"]): t for t in trials}
    by_sequence = {str(t["sequence"]): t for t in trials}
    chosen: list[Mapping[str, Any]] = []
    for entry in (part.strip() for part in selection.split(",")):
        trial = by_id.get(entry) or by_sequence.get(entry)
        if trial is None:
            raise InvalidInputError(
                f"--trials: no trial {entry!r} in this experiment (it has trial numbers 0 to {len(trials) - 1}); "
                "give trial numbers or ids separated by commas, e.g. --trials 0,3,7 (see `tunelab trial ls`)"
            )
        if trial not in chosen:
            chosen.append(trial)
    return chosen


def logdirs(exp_dir: Path, trials: Sequence[Mapping[str, Any]], *, explicit: bool) -> dict[str, Path]:
    """Run name -> TensorBoard folder of the chosen trials that wrote something there. ``explicit`` (the
    user named them): a chosen trial without event files is an error, not silently left out."""
    found: dict[str, Path] = {}
    empty: list[str] = []
    for trial in trials:
        folder = tensorboard_dir(exp_dir, str(trial["id"]))
        if has_event_files(folder):
            found[run_name(trial)] = folder
        else:
            empty.append(f"{trial['sequence']} ({trial['id']})")
    if explicit and empty:
        raise NotFoundError(
            f"--trials: trial {', '.join(empty)} wrote no TensorBoard files (its folder {_env.TENSORBOARD_DIR}, "
            f"<trial dir>/{_env.TENSORBOARD_DIR_NAME}, is empty); choose trials that log there, e.g. with "
            "torch.utils.tensorboard.SummaryWriter(os.environ['TUNELAB_TENSORBOARD_DIR'])"
        )
    if not found:
        raise NotFoundError(
            f"no trial of this experiment wrote TensorBoard files; a trial script writes them into "
            f"${_env.TENSORBOARD_DIR} (also $NNI_OUTPUT_DIR/{_env.TENSORBOARD_DIR_NAME}), e.g. with "
            "torch.utils.tensorboard.SummaryWriter(os.environ['TUNELAB_TENSORBOARD_DIR'])"
        )
    return found


def tensorboard_argv(named: Mapping[str, Path], *, port: int, host: str = "127.0.0.1",
                     python: str = sys.executable) -> list[str]:
    """The TensorBoard command over ``named`` folders (``--logdir_spec name:path,...``), bound to ``host``.
    Raises InvalidInputError for a path ``--logdir_spec`` cannot carry (a ',' or ':' in it)."""
    entries = []
    for name, folder in named.items():
        path = os.fspath(folder)
        if any(char in path for char in _SPEC_CHARS):
            raise InvalidInputError(
                f"trial folder {path!r}: TensorBoard's --logdir_spec cannot carry a path with ',' or ':'; "
                "move TUNELAB_HOME to a folder without them"
            )
        entries.append(f"{name}:{path}")
    return [python, "-m", "tensorboard.main", "--logdir_spec", ",".join(entries), "--host", host,
            "--port", str(port)]


def tensorboard_installed() -> bool:
    try:
        return importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        return False
