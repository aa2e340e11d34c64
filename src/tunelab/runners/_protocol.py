"""What the manager hands a runner, what it gets back, and the runner contract."""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Receives each metric message a trial sent: ``{"trial", "kind", "seq", "value", "ts"}``.
MetricSink = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class TrialLaunch:
    """Everything needed to start one trial process.

    ``env`` holds the trial's own variables (TUNELAB_*, NNI_*); the runner adds them to its inherited
    environment and sets ``CUDA_VISIBLE_DEVICES`` from the GPUs it assigns.
    """

    trial_id: str
    sequence: int
    command: str
    code_dir: Path
    trial_dir: Path
    env: Mapping[str, str]
    gpu_number: int | None = None


@dataclass(frozen=True, slots=True)
class TrialExit:
    """How a trial process ended. ``returncode`` is None when it could not be known (re-attached trial)."""

    trial_id: str
    returncode: int | None
    stderr_tail: str = ""
    message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


@dataclass(slots=True)
class RunningHandle:
    """A started trial as the runner tracks it."""

    trial_id: str
    pid: int
    gpus: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class Runner(Protocol):
    """Runs trial commands somewhere and reports their life. One runner per manager.

    Contract: :meth:`start` returns once the process exists (its pid known) or raises; :meth:`wait`
    resolves when it ends; :meth:`kill` ends its whole process tree (SIGTERM, then SIGKILL after the
    grace period) and is idempotent. Metrics the trial reports go to the sink given at construction.
    """

    async def open(self) -> None:
        """Start whatever the runner needs (metric channel, cluster connection)."""

    async def close(self) -> None:
        """Release resources; running trials are left alone (the manager kills them first if it wants)."""

    def free_slots(self, gpu_number: int | None) -> bool:
        """True when a trial needing ``gpu_number`` GPUs could start now."""
        ...

    async def start(self, launch: TrialLaunch) -> RunningHandle: ...

    async def wait(self, handle: RunningHandle) -> TrialExit: ...

    async def kill(self, handle: RunningHandle, *, grace: float = 5.0, reason: str = "killed") -> None: ...

    def adopt(self, trial_id: str, pid: int, trial_dir: Path, env: Mapping[str, str]) -> RunningHandle:
        """A handle for a trial process an earlier manager started (re-attach after a crash)."""
        ...

    def channel_env(self) -> Mapping[str, str]:
        """Environment variables a trial needs to reach this runner's metric channel."""
        ...


def describe_exit(returncode: int | None) -> str:
    """How a process ended, in words: ``code 3``, ``signal SIGKILL``, ``code 139 (signal SIGSEGV)``."""
    if returncode is None:
        return "unknown status"
    if returncode < 0:
        return f"signal {_signal_name(-returncode)}"
    if 128 < returncode <= 128 + 64:
        # The shell ran the command as a child and reports its death by signal N as 128 + N.
        return f"code {returncode} (signal {_signal_name(returncode - 128)})"
    return f"code {returncode}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
