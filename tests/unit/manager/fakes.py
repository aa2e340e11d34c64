"""A scripted in-memory runner for unit tests of the experiment loop (no processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.base import env as _env
from tunelab.runners import MetricSink, RunningHandle, TrialExit, TrialLaunch


@dataclass
class Script:
    """What a fake trial does: report these metrics (kind, value), wait, then exit with ``returncode``."""

    intermediates: list[Any] = field(default_factory=list)
    final: Any = None
    returncode: int = 0
    duration: float = 0.0
    stderr: str = ""
    report_final_twice: Any = None


class FakeRunner:
    def __init__(self, script_for: Callable[[Mapping[str, Any]], Script]) -> None:
        self.sink: MetricSink | None = None
        self._script_for = script_for
        self.started: list[TrialLaunch] = []
        self.max_running = 0
        self.running: dict[str, asyncio.Task[int]] = {}
        self.killed: list[str] = []
        self._pid = 1000

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def channel_env(self) -> Mapping[str, str]:
        return {}

    def free_slots(self, gpu_number: int | None) -> bool:
        return True

    async def start(self, launch: TrialLaunch) -> RunningHandle:
        import json

        self.started.append(launch)
        params = json.loads(launch.env[_env.PARAMETERS])
        script = self._script_for(params)
        self._pid += 1
        self.running[launch.trial_id] = asyncio.create_task(self._play(launch, script))
        self.max_running = max(self.max_running, len(self.running))
        return RunningHandle(trial_id=launch.trial_id, pid=self._pid, extra={"script": script, "dir": launch.trial_dir})

    async def _play(self, launch: TrialLaunch, script: Script) -> int:
        assert self.sink is not None
        for index, value in enumerate(script.intermediates):
            self.sink({"trial": launch.trial_id, "kind": "PERIODICAL", "seq": index, "value": value, "ts": 1.0})
            await asyncio.sleep(0)
        await asyncio.sleep(script.duration)
        if script.final is not None:
            self.sink({"trial": launch.trial_id, "kind": "FINAL", "seq": 0, "value": script.final, "ts": 2.0})
        if script.report_final_twice is not None:
            self.sink({"trial": launch.trial_id, "kind": "FINAL", "seq": 0, "value": script.report_final_twice,
                       "ts": 3.0})
        return script.returncode

    async def wait(self, handle: RunningHandle) -> TrialExit:
        task = self.running[handle.trial_id]
        try:
            code = await task
        except asyncio.CancelledError:
            code = -15
        self.running.pop(handle.trial_id, None)
        return TrialExit(trial_id=handle.trial_id, returncode=code, stderr_tail=handle.extra["script"].stderr)

    async def kill(self, handle: RunningHandle, *, grace: float = 5.0, reason: str = "killed") -> None:
        self.killed.append(handle.trial_id)
        task = self.running.get(handle.trial_id)
        if task is not None:
            task.cancel()

    def adopt(self, trial_id: str, pid: int, trial_dir: Path, env: Mapping[str, str]) -> RunningHandle:
        raise NotImplementedError
