"""A test lab for real managers: a private TUNELAB_HOME, the CLI as a subprocess, and no leaked processes.

Every process a lab starts (managers, trials, their children) carries ``TUNELAB_TEST_LAB=<token>`` in its
environment, so :meth:`Lab.leaked` finds what survived and :meth:`Lab.close` kills it whatever happened.
Ports come from this suite's own range (18500-18599).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tunelab.runners._process import kill_pids, pids_with_env
from tunelab.storage import ExperimentStore, open_store
from tunelab.trial import ExperimentStatus, Metric, MetricKind, TrialState

PORT_RANGE = range(18500, 18600)
LAB_ENV = "TUNELAB_TEST_LAB"
FINISHED_STATUSES = {ExperimentStatus.DONE, ExperimentStatus.NO_MORE_TRIAL, ExperimentStatus.TUNER_NO_MORE_TRIAL}
_next_port = [PORT_RANGE.start + (os.getpid() % 10) * 10]


def free_port(host: str = "127.0.0.1") -> int:
    """A port of this suite's range that nothing listens on now."""
    for _ in range(len(PORT_RANGE)):
        port = _next_port[0]
        _next_port[0] = PORT_RANGE.start + (port + 1 - PORT_RANGE.start) % len(PORT_RANGE)
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18500-18599")


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy (tests only: real processes have no events)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a detached manager's parent may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@dataclass
class Snapshot:
    """What the database says at one moment: finished trials and every stored metric."""

    trials: dict[str, Any]
    finished: dict[str, tuple[str, float | None]]
    metrics: dict[tuple[str, str, int], Any]


class Lab:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.code = root / "code"
        self.home.mkdir(parents=True, exist_ok=True)
        self.code.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(8)
        self.env = {**os.environ, "TUNELAB_HOME": str(self.home), LAB_ENV: self.token}
        self.env.pop("TUNELAB_FAULT", None)

    # -- files ------------------------------------------------------------------------------------------
    def write(self, name: str, text: str) -> Path:
        path = self.code / name
        path.write_text(text, encoding="utf-8")
        return path

    def config(self, *, trial: str, space: dict[str, Any] | None = None, name: str = "config.yml",
               **overrides: Any) -> Path:
        data: dict[str, Any] = {
            "searchSpace": space or {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialCommand": f"{sys.executable} {trial}",
            "trialCodeDirectory": str(self.code),
            "trialConcurrency": 2,
            "maxTrialNumber": 4,
            "tuner": {"name": "Random", "classArgs": {"seed": 7}},
            "trainingService": {"platform": "local"},
        }
        data.update(overrides)
        return self.write(name, yaml.safe_dump(data))

    # -- the CLI ----------------------------------------------------------------------------------------
    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tunelab.cli", *args],
            cwd=self.code, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout,
            input=input_text, check=False,
        )

    def create(self, config: Path, exp_id: str, *, port: int, fault: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {"TUNELAB_FAULT": fault} if fault else None
        return self.cli("create", "--config", str(config), "--id", exp_id, "--port", str(port), env=env)

    def resume(self, exp_id: str, *, port: int, fault: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {"TUNELAB_FAULT": fault} if fault else None
        return self.cli("resume", exp_id, "--port", str(port), env=env)

    def exp_dir(self, exp_id: str) -> Path:
        return self.home / exp_id

    def manager_info(self, exp_id: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.exp_dir(exp_id) / "manager.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    # -- the database -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def store(self, exp_id: str) -> Iterator[ExperimentStore]:
        store = open_store(self.exp_dir(exp_id), exp_id, readonly=True)
        try:
            yield store
        finally:
            store.close()

    def status(self, exp_id: str) -> ExperimentStatus:
        with self.store(exp_id) as store:
            return store.get_experiment().status

    def ended_since(self, exp_id: str, since: float) -> bool:
        """True when a manager session that began after ``since`` (wall clock) brought the experiment to
        DONE with every trial finished; a status left by an earlier session does not count."""
        with self.store(exp_id) as store:
            record = store.get_experiment()
            if record.status != ExperimentStatus.DONE or (record.run_started_at or 0.0) < since:
                return False
            return all(t.status.is_finished for t in store.list_trials())

    def snapshot(self, exp_id: str) -> Snapshot:
        with self.store(exp_id) as store:
            trials = {t.id: t for t in store.list_trials()}
            metrics = {(m.trial_id, m.kind.value, m.sequence): m.data for m in store.iter_metrics()}
        finished = {t.id: (t.status.value, t.final) for t in trials.values() if t.status.is_finished}
        return Snapshot(trials, finished, metrics)

    def metrics_of(self, exp_id: str, trial_id: str, kind: MetricKind | None = None) -> list[Metric]:
        with self.store(exp_id) as store:
            return store.get_metrics(trial_id, kind)

    def events(self, exp_id: str, kind: str | None = None) -> list[Any]:
        events: list[Any] = []
        with self.store(exp_id) as store:
            while page := store.list_events(after_id=events[-1].id if events else 0, limit=1000):
                events.extend(page)
        return [e for e in events if kind is None or e.kind == kind]

    def trial_states(self, exp_id: str) -> dict[str, TrialState]:
        with self.store(exp_id) as store:
            return {t.id: t.status for t in store.list_trials()}

    # -- processes --------------------------------------------------------------------------------------
    def leaked(self) -> list[int]:
        """Pids of this lab's processes still alive (zombies are dead)."""
        return [pid for pid in pids_with_env(LAB_ENV, self.token) if pid_alive(pid)]

    def trial_pids(self, trial_id: str) -> list[int]:
        return [pid for pid in pids_with_env("TUNELAB_TRIAL_ID", trial_id)
                if pid_alive(pid) and pid in set(self.leaked())]

    def stop(self, exp_id: str) -> None:
        info = self.manager_info(exp_id)
        self.cli("stop", exp_id, timeout=60)
        if info is not None:
            wait_for(lambda: not pid_alive(int(info["pid"])), 60, "the manager to exit after stop")

    def close(self) -> None:
        kill_pids(self.leaked(), signal.SIGKILL)
