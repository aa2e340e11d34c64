"""One manager per experiment: an exclusive lock on a file in its directory, and who holds it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from tunelab.base import ConflictError

LOCK_FILE = "manager.lock"
INFO_FILE = "manager.json"


@dataclass(frozen=True, slots=True)
class ManagerInfo:
    """What a running manager publishes for CLI commands: how to reach it."""

    experiment_id: str
    pid: int
    host: str
    port: int
    url: str
    mode: str
    started_at: float
    token: str | None = None


class ManagerLock:
    """``flock`` on ``manager.lock``: the kernel drops it when the holder dies, even by SIGKILL, so a
    crashed manager never blocks ``resume``."""

    def __init__(self, exp_dir: Path) -> None:
        self._path = exp_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    def acquire(self, experiment_id: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self._path, "a+")  # noqa: SIM115 - held for the manager's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise ConflictError(
                f"experiment {experiment_id} is already run by another manager{self._where(holder)}; "
                f"stop it with `tunelab stop {experiment_id}` or open it read-only with `tunelab view`"
            ) from None
        # The holder's pid goes into the lock file itself: manager.json is written only once the server
        # listens, so a resume that loses a race would otherwise name the previous (dead) manager.
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def _where(self, holder: str) -> str:
        info = read_info(self._path.parent)
        if holder.isdigit():
            pid = int(holder)
            url = f", {info.url}" if info is not None and info.pid == pid else ""
            return f" (pid {pid}{url})"
        return f" (pid {info.pid}, {info.url})" if info else ""

    def release(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def is_locked(exp_dir: Path) -> bool:
    """True while some manager holds the experiment's lock."""
    path = exp_dir / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def write_info(exp_dir: Path, info: ManagerInfo) -> None:
    tmp = exp_dir / (INFO_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
    os.chmod(tmp, 0o600)  # it may hold the access token
    tmp.replace(exp_dir / INFO_FILE)


def read_info(exp_dir: Path) -> ManagerInfo | None:
    """The running manager's info, or None when no live manager holds the experiment."""
    path = exp_dir / INFO_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = ManagerInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    if info.mode == "view":
        # A viewer holds no lock (it writes nothing); it is live while its process is.
        return info if _pid_alive(info.pid) else None
    if not is_locked(exp_dir):
        return None
    return info


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_info(exp_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (exp_dir / INFO_FILE).unlink()


def now() -> float:
    return time.time()
