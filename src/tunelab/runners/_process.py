"""Process-tree helpers for local trials: kill a process group and the strays that left it."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def pids_with_env(name: str, value: str) -> list[int]:
    """Pids of processes whose environment has ``name=value``.

    Daemons that called ``setsid()`` leave the trial's process group, but they keep its environment, so
    this finds every process a trial started (NNI leaves such children holding GPU memory, issue #3136).
    """
    needle = f"{name}={value}".encode()
    found: list[int] = []
    own = os.getpid()
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_pids(pids: list[int], sig: int = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def process_has_env(pid: int, name: str, value: str) -> bool:
    """True when ``pid`` is alive and carries ``name=value`` (guards against pid reuse on re-attach)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{name}={value}".encode() in environ.split(b"\0")


def group_leader(pid: int) -> bool:
    """True when ``pid`` is alive and leads its own process group (how the local runner starts trials)."""
    try:
        return os.getpgid(pid) == pid
    except (ProcessLookupError, PermissionError):
        return False
