"""Where experiments live on disk, and the ids that name them."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import string
from pathlib import Path

from tunelab.base import ConfigError, InvalidInputError, NotFoundError

HOME_ENV = "TUNELAB_HOME"
#: The umask tunelab's processes (the CLI, managers and their trials) create files with. The default keeps
#: experiments private to their user (directories 0700, databases, logs and outputs 0600): trial results,
#: parameters and the channel key are not other users' business. ``027`` shares them read-only with the
#: group, ``022`` with everyone (the behaviour before).
UMASK_ENV = "TUNELAB_UMASK"
DEFAULT_UMASK = 0o077
DEFAULT_ROOT = Path("~/tunelab-experiments")
DB_FILE = "tunelab.db"
TRIALS_DIR = "trials"
LOG_DIR = "log"

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_ALPHABET = string.ascii_lowercase + string.digits
_TRIAL_ALPHABET = string.ascii_letters + string.digits


def experiments_root(working_directory: str | os.PathLike[str] | None = None) -> Path:
    """The root of experiment directories: ``experimentWorkingDirectory`` > ``$TUNELAB_HOME`` > default."""
    if working_directory:
        return Path(working_directory).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser().resolve() if env else DEFAULT_ROOT.expanduser().resolve()


def prepare_root(working_directory: str | os.PathLike[str] | None = None) -> Path:
    """:func:`experiments_root`, made if missing; ConfigError naming the setting when it cannot hold
    experiments (a path under a file, under /proc or /sys, or not writable), before anything is made."""
    root = experiments_root(working_directory)
    where = "experimentWorkingDirectory" if working_directory else (HOME_ENV if os.environ.get(HOME_ENV)
                                                                     else "the default experiment folder")
    problem = _root_problem(root)
    if problem is None:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem is None and not os.access(root, os.W_OK | os.X_OK):
        problem = "it is not writable by this user"
    if problem is not None:
        raise ConfigError(
            f"{where}: cannot keep experiments in {str(root)!r}: {problem}; choose a writable directory"
            + (" (experimentWorkingDirectory in the config)" if working_directory else f" (set {HOME_ENV})")
        )
    return root


def _root_problem(root: Path) -> str | None:
    if root.parts[1:2] in (("proc",), ("sys",)):
        return f"/{root.parts[1]} is a kernel file system"
    for parent in (root, *root.parents):
        if parent.exists():
            return None if parent.is_dir() else f"{str(parent)!r} is a file, not a directory"
    return None


def file_umask() -> int:
    """The umask from ``$TUNELAB_UMASK`` (octal, e.g. ``027``), or the private default."""
    text = os.environ.get(UMASK_ENV, "").strip()
    if not text:
        return DEFAULT_UMASK
    try:
        value = int(text, 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o777:
        raise InvalidInputError(
            f"{UMASK_ENV}={text!r} is not a umask: give 3 octal digits, e.g. {UMASK_ENV}=027 to share "
            f"experiments with your group (unset, they are private: {DEFAULT_UMASK:03o})"
        )
    return value


def apply_file_umask() -> int:
    """Set this process's umask from :func:`file_umask` (inherited by managers and trials); returns it."""
    umask = file_umask()
    os.umask(umask)
    return umask


def restrict_dir(path: Path) -> None:
    """Give an existing experiment directory the mode the umask allows (one made by an older version, or
    loaded, may be open to everyone); what is inside is then out of other users' reach too."""
    # Not ours to change (another user's shared directory): the files made inside still follow the umask.
    with contextlib.suppress(OSError):
        os.chmod(path, 0o777 & ~file_umask())


def validate_experiment_id(experiment_id: str) -> str:
    """Experiment ids become directory names: allow only NNI's id alphabet (no ``/``, no ``..``)."""
    if not isinstance(experiment_id, str) or not _ID_RE.match(experiment_id):
        raise InvalidInputError(
            f"experiment id {experiment_id!r} is invalid: use 1-32 letters, digits, '_' or '-'"
        )
    return experiment_id


def new_experiment_id(root: Path) -> str:
    """A fresh 8-character id (NNI's shape) not used under ``root``."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if not (root / candidate).exists():
            return candidate


def new_trial_id(taken: set[str]) -> str:
    """A fresh 5-character trial id (NNI's shape), unique within the experiment."""
    while True:
        candidate = "".join(secrets.choice(_TRIAL_ALPHABET) for _ in range(5))
        if candidate not in taken:
            return candidate


def experiment_dir(root: Path, experiment_id: str) -> Path:
    return root / validate_experiment_id(experiment_id)


def trial_dir(exp_dir: Path, trial_id: str) -> Path:
    return exp_dir / TRIALS_DIR / trial_id


def find_experiment_dir(experiment_id: str, root: Path | None = None) -> Path:
    validate_experiment_id(experiment_id)
    base = root or experiments_root()
    exp_dir = base / experiment_id
    if not exp_dir.is_dir():
        raise NotFoundError(
            f"experiment {experiment_id!r} not found under {base}; `tunelab list --all` shows the known ones "
            f"(set TUNELAB_HOME if your experiments live elsewhere)"
        )
    return exp_dir
