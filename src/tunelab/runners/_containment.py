"""Keep every process a local trial starts inside one cgroup, so the trial ends with all of it.

A trial's process group does not hold everything it starts: a daemon that calls ``setsid()`` leaves the
group, and one that also empties its environment (``env={}``, or a double fork and ``execve`` with no
environment) cannot be found by the trial id in its environment either. Such processes keep GPU memory and
ports after the trial ended (NNI issue #3136). A cgroup holds them all whatever they do: a child cgroup is
inherited by every fork, and no process without privileges can leave it.

Where the cgroup v2 hierarchy is writable by the manager (root, or a systemd user session with delegation),
each trial gets ``<manager's cgroup>/tunelab-<pid>/<trial id>``; the trial's shell moves itself into it
before it runs the trial command, so no fork of the trial can happen outside it. Killing the trial writes
``cgroup.kill`` (Linux 5.14+), or freezes the cgroup and SIGKILLs what ``cgroup.procs`` lists. That costs a
few small file writes, where finding strays by environment reads every ``/proc/*/environ`` on the machine.

Where cgroups are not writable, ``Containment.open()`` returns ``None`` and the local runner falls back to
finding strays by the trial id in their environment (:func:`tunelab.runners._process.pids_with_env`).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
from pathlib import Path

_PROCS = "cgroup.procs"
_KILL = "cgroup.kill"
_FREEZE = "cgroup.freeze"
#: How long a trial's exit waits for its killed cgroup to empty before leaving the removal to ``close()``.
_EMPTY_WAIT_S = 0.05


def own_cgroup_dir(proc_root: Path = Path("/proc")) -> Path | None:
    """The directory of this process's cgroup v2, or ``None`` when there is no unified hierarchy."""
    return _cgroup_dir("self", proc_root)


def cgroup_of(pid: int, proc_root: Path = Path("/proc")) -> Path | None:
    """The trial cgroup that process ``pid`` runs in, when it is one this module made (``tunelab-*/<trial>``).

    A resumed manager finds there the cgroup an earlier manager gave a trial it now adopts; a user's or
    systemd's own cgroup is never returned, so it is never killed.
    """
    directory = _cgroup_dir(str(pid), proc_root)
    if directory is None or not directory.parent.name.startswith("tunelab-"):
        return None
    return directory


def _cgroup_dir(process: str, proc_root: Path) -> Path | None:
    try:
        lines = (proc_root / process / "cgroup").read_text().splitlines()
        mounts = (proc_root / "self" / "mounts").read_text().splitlines()
    except OSError:
        return None
    relative = next((line[3:] for line in lines if line.startswith("0::")), None)
    mount = next((fields[1] for fields in (m.split() for m in mounts) if len(fields) > 2 and fields[2] == "cgroup2"),
                 None)
    if relative is None or mount is None:
        return None
    directory = Path(mount) / relative.lstrip("/")
    return directory if directory.is_dir() else None


class Containment:
    """Per-trial cgroups under one directory owned by this manager."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def open(cls, cgroup_dir: Path | None = None) -> Containment | None:
        """Make this manager's cgroup directory; ``None`` when cgroups cannot be used here."""
        if os.environ.get("TUNELAB_NO_CGROUP"):  # for tests of the fallback
            return None
        parent = cgroup_dir if cgroup_dir is not None else own_cgroup_dir()
        if parent is None:
            return None
        _remove_stale(parent)
        root = parent / f"tunelab-{os.getpid()}"
        try:
            root.mkdir(exist_ok=True)
        except OSError:
            return None
        if not (root / _PROCS).exists():  # not a cgroup file system after all
            with contextlib.suppress(OSError):
                root.rmdir()
            return None
        return cls(root)

    def prepare(self, trial_id: str) -> Path | None:
        """Create the trial's cgroup; ``None`` when it cannot be (the trial then runs uncontained)."""
        directory = self.root / _safe_name(trial_id)
        try:
            directory.mkdir(exist_ok=True)
        except OSError:
            return None
        return directory

    def close(self) -> None:
        """Kill and remove every trial cgroup left, then this manager's directory."""
        for directory in _children(self.root):
            kill_cgroup(directory, wait=2.0)
        with contextlib.suppress(OSError):
            self.root.rmdir()


def enter_command(directory: Path, command: str) -> str:
    """``command`` preceded by the shell moving itself into ``directory`` (``echo 0`` means "myself").

    The move is a shell builtin with a redirect, so it costs no process; it happens before the trial command
    forks anything, and a failed move (the directory removed meanwhile) does not stop the trial.
    """
    return f"echo 0 2>/dev/null >{shlex.quote(str(directory / _PROCS))}\n{command}"


def cgroup_pids(directory: Path) -> list[int]:
    try:
        return [int(line) for line in (directory / _PROCS).read_text().split()]
    except (OSError, ValueError):
        return []


def kill_cgroup(directory: Path, *, wait: float = _EMPTY_WAIT_S) -> bool:
    """SIGKILL everything in the cgroup and remove it; ``True`` once it is gone.

    The common case, a trial that left nothing behind, is one ``rmdir``. Otherwise the survivors are killed at
    once; removing their cgroup waits up to ``wait`` seconds for the kernel to tear them down (``False``: not
    yet, try again later; they are dead all the same, a SIGKILLed process runs no more user code).
    """
    if _remove(directory):
        return True
    if not _write(directory / _KILL, "1"):
        # Kernels before 5.14: freeze first so nothing forks while the listed pids are killed.
        _write(directory / _FREEZE, "1")
        for _ in range(100):
            pids = cgroup_pids(directory)
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            _write(directory / _FREEZE, "0")  # frozen tasks die only once thawed
    deadline = time.monotonic() + wait
    while not _remove(directory):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)
    return True


def _remove(directory: Path) -> bool:
    try:
        directory.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False  # busy: something still runs in it (or is being torn down)
    return True


def _remove_stale(parent: Path) -> None:
    """Remove the empty folders of managers that died (their live trials keep theirs busy, and alive)."""
    for entry in _children(parent):
        if not entry.name.startswith("tunelab-"):
            continue
        pid = entry.name.removeprefix("tunelab-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for trial_dir in _children(entry):
                _remove(trial_dir)
            _remove(entry)


def _children(root: Path) -> list[Path]:
    try:
        return [entry for entry in root.iterdir() if entry.is_dir()]
    except OSError:
        return []


def _write(path: Path, text: str) -> bool:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except OSError:
        return False
    return True


def _safe_name(trial_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in trial_id) or "trial"
