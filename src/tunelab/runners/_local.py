"""Local runner: each trial is a shell command in its own process group on this machine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from tunelab.base import env as _env
from tunelab.runners import _process
from tunelab.runners._bytecode import ensure_trial_bytecode
from tunelab.runners._channel import ChannelKeys, MetricChannel, channel_address
from tunelab.runners._containment import Containment, cgroup_of, enter_command, kill_cgroup
from tunelab.runners._gpu import GpuSlots
from tunelab.runners._protocol import MetricSink, RunningHandle, TrialExit, TrialLaunch, describe_exit

STDOUT, STDERR, TRIAL_LOG = "stdout", "stderr", "trial.log"
_TAIL_BYTES = 4000


class LocalRunner:
    """Runs ``trialCommand`` through ``/bin/sh -c`` in ``trialCodeDirectory``.

    Each trial gets its own session (process group), ``stdout``/``stderr`` files and a ``trial.log`` of
    its life in its directory. Kill sends SIGTERM to the group, then SIGKILL after the grace period, and
    finally kills what the trial left outside its group (daemons that called ``setsid()``): everything in the
    trial's cgroup where cgroups are writable (:mod:`tunelab.runners._containment`), else every process
    still carrying the trial's id in its environment. GPU slots follow NNI: ``CUDA_VISIBLE_DEVICES`` is ''
    for ``trialGpuNumber: 0``.
    """

    def __init__(
        self,
        experiment_dir: Path,
        sink: MetricSink,
        *,
        gpu_slots: GpuSlots | None = None,
        shell: str = "/bin/sh",
    ) -> None:
        self._keys = ChannelKeys.for_experiment(experiment_dir)
        self._channel = MetricChannel(channel_address(experiment_dir), sink, self._keys)
        self._gpu_slots = gpu_slots
        self._shell = shell
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._killed: dict[str, str] = {}
        self._kill_deadlines: dict[str, float] = {}  # trial -> when its grace period (SIGTERM -> SIGKILL) ends
        self._containment: Containment | None = None

    async def open(self) -> None:
        ensure_trial_bytecode()
        self._containment = Containment.open()
        await self._channel.open()

    async def close(self) -> None:
        await self._channel.close()
        if self._containment is not None:
            self._containment.close()

    def channel_env(self) -> Mapping[str, str]:
        return {_env.CHANNEL: f"unix:{self._channel.address}"}

    def free_slots(self, gpu_number: int | None) -> bool:
        if not gpu_number or self._gpu_slots is None:
            return True
        gpus = self._gpu_slots.try_allocate(gpu_number)
        if gpus is None:
            return False
        self._gpu_slots.release(gpus)
        return True

    async def start(self, launch: TrialLaunch) -> RunningHandle:
        gpus: tuple[int, ...] = ()
        env = dict(os.environ)
        env.update(launch.env)
        env.update(self.channel_env())
        # Not in launch.env: that is stored with the trial, and the key must live only in its environment.
        env[_env.CHANNEL_KEY] = self._keys.key(launch.trial_id)
        if launch.gpu_number is not None:
            if launch.gpu_number > 0 and self._gpu_slots is not None:
                allocated = self._gpu_slots.try_allocate(launch.gpu_number)
                if allocated is None:
                    raise RuntimeError("no free GPU slot (free_slots() must be checked before start())")
                gpus = allocated
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in gpus)
        launch.trial_dir.mkdir(parents=True, exist_ok=True)
        command = launch.command
        cgroup = self._containment.prepare(launch.trial_id) if self._containment is not None else None
        if cgroup is not None:
            command = enter_command(cgroup, command)
        stdout = open(launch.trial_dir / STDOUT, "ab")  # noqa: SIM115 - handed to the child, closed below
        stderr = open(launch.trial_dir / STDERR, "ab")  # noqa: SIM115
        try:
            process = await asyncio.create_subprocess_exec(
                self._shell, "-c", command,
                cwd=launch.code_dir, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=stdout, stderr=stderr, start_new_session=True,
            )
        except OSError:
            if gpus and self._gpu_slots is not None:
                self._gpu_slots.release(gpus)
            raise
        finally:
            stdout.close()
            stderr.close()
        self._processes[launch.trial_id] = process
        _log_line(launch.trial_dir, f"started pid {process.pid}: {launch.command}"
                  + (f" (CUDA_VISIBLE_DEVICES={env['CUDA_VISIBLE_DEVICES']})" if launch.gpu_number is not None else ""))
        extra: dict[str, object] = {"trial_dir": str(launch.trial_dir), "env": dict(launch.env)}
        if cgroup is not None:
            extra["cgroup"] = str(cgroup)
        return RunningHandle(trial_id=launch.trial_id, pid=process.pid, gpus=gpus, extra=extra)

    async def wait(self, handle: RunningHandle) -> TrialExit:
        process = self._processes.get(handle.trial_id)
        if process is not None:
            returncode: int | None = await process.wait()
        else:
            returncode = await _wait_foreign(handle.pid)
        self._processes.pop(handle.trial_id, None)
        # A stopped trial's shell dies of SIGTERM at once, while the script under it may be saving a
        # checkpoint (tunelab.should_stop()): let the group drain until the grace period ends.
        deadline = self._kill_deadlines.pop(handle.trial_id, None)
        while deadline is not None and _process.group_alive(handle.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        # Stragglers in the group (a shell's background job, forked workers) and daemons that left it
        # (setsid + double fork) die with the trial: nothing of it may keep holding a GPU (NNI #3136).
        if _process.group_alive(handle.pid):
            _process.signal_group(handle.pid, signal.SIGKILL)
        _kill_strays(handle)
        if handle.gpus and self._gpu_slots is not None:
            self._gpu_slots.release(handle.gpus)
        trial_dir = Path(handle.extra.get("trial_dir", "."))
        reason = self._killed.pop(handle.trial_id, "")
        _log_line(trial_dir, f"exited with {describe_exit(returncode)}" + (f" ({reason})" if reason else ""))
        return TrialExit(trial_id=handle.trial_id, returncode=returncode,
                         stderr_tail=_tail(trial_dir / STDERR), message=reason)

    async def kill(self, handle: RunningHandle, *, grace: float = 5.0, reason: str = "killed") -> None:
        self._killed.setdefault(handle.trial_id, reason)
        _process.signal_group(handle.pid, signal.SIGTERM)
        process = self._processes.get(handle.trial_id)
        deadline = time.monotonic() + grace
        self._kill_deadlines.setdefault(handle.trial_id, deadline)
        if process is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(process.wait()), timeout=grace)
        while _process.group_alive(handle.pid) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # only on the kill path: the group has no exit event to await
        _process.signal_group(handle.pid, signal.SIGKILL)
        _kill_strays(handle)

    def adopt(self, trial_id: str, pid: int, trial_dir: Path, env: Mapping[str, str]) -> RunningHandle:
        """Handle for a trial process started by an earlier manager (re-attach on resume)."""
        extra: dict[str, object] = {"trial_dir": str(trial_dir), "env": dict(env)}
        cgroup = cgroup_of(pid)
        if cgroup is not None:
            extra["cgroup"] = str(cgroup)
        return RunningHandle(trial_id=trial_id, pid=pid, extra=extra)


def _kill_strays(handle: RunningHandle) -> None:
    """SIGKILL what the trial left: its cgroup's processes, else those carrying its ids in their environment."""
    cgroup = handle.extra.get("cgroup")
    if cgroup:
        directory = Path(cgroup)
        kill_cgroup(directory)
        if directory.parent.name != f"tunelab-{os.getpid()}":
            # An earlier manager's folder, emptied by its last adopted trial (busy while others still run).
            with contextlib.suppress(OSError):
                directory.parent.rmdir()
        return
    env = handle.extra.get("env", {})
    trial_id = env.get(_env.TRIAL_ID)
    experiment_id = env.get(_env.EXPERIMENT_ID)
    if trial_id and experiment_id:
        strays = [
            pid
            for pid in _process.pids_with_env(_env.TRIAL_ID, trial_id)
            if _process.process_has_env(pid, _env.EXPERIMENT_ID, experiment_id)
        ]
        _process.kill_pids(strays)


async def _wait_foreign(pid: int) -> int | None:
    """Wait for a process that is not our child (its exit status is unknowable): pidfd when possible."""
    loop = asyncio.get_running_loop()
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        while _pid_alive(pid):
            await asyncio.sleep(0.5)  # fallback for kernels without pidfd: rare and off the hot path
        return None
    done: asyncio.Future[None] = loop.create_future()

    def exited() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, exited)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, limit: int = _TAIL_BYTES) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace").strip()


def _log_line(trial_dir: Path, text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    try:
        with open(trial_dir / TRIAL_LOG, "a", encoding="utf-8") as handle:
            handle.write(f"[{stamp}] {text}\n")
    except OSError:
        pass
