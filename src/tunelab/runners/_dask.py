"""Dask runner: each trial runs on a Dask distributed worker; its life comes back over Dask's comms.

The manager side submits one task per trial attempt (:func:`tunelab.runners._dask_worker.run_trial`) and
subscribes to one event topic per runner. Worker wrappers publish ``started``, ``metric`` and ``log`` events
on it; the task result carries the exit status and the last log bytes. Trials therefore need no network
path to the manager, only the workers need one to the scheduler.

A worker that leaves the cluster while running a trial fails that trial at once (the scheduler's
``remove-worker`` event names it); the Dask task is cancelled so Dask does not quietly run it again, and
the manager's ``maxTrialRetries`` decides whether it runs again. Strays of the lost trial are killed on
every worker host.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.base import ConfigError
from tunelab.base import env as _env
from tunelab.runners import _dask_worker
from tunelab.runners._gpu import detect_gpus
from tunelab.runners._local import STDERR, LocalRunner, _log_line, _tail
from tunelab.runners._protocol import MetricSink, RunningHandle, TrialExit, TrialLaunch, describe_exit

if TYPE_CHECKING:
    from distributed import Client, Future

    from tunelab.config import TrainingServiceConfig

_log = logging.getLogger(__name__)
_CONNECT_TIMEOUT_S = 30.0
#: How long open() waits for a worker that offers the GPUs a trial needs (workers may still be joining).
GPU_WAIT_S = 10.0
#: Bound on a control call to workers (kill, stray sweep): a hung worker must not hang the manager.
_CONTROL_TIMEOUT_S = 10.0
#: Port of the embedded cluster's scheduler (0: any free port). Always bound to 127.0.0.1.
LOCAL_SCHEDULER_PORT = 0


@dataclass
class _Attempt:
    """One submitted trial attempt, from submit to exit."""

    trial_id: str
    experiment_id: str
    token: str
    key: str
    trial_dir: Path
    command: str
    future: Future[Any]
    result: asyncio.Task[Any]
    started: asyncio.Future[Mapping[str, Any]]
    lost: asyncio.Future[str]
    exited: asyncio.Future[Mapping[str, Any]]  # the result, when small enough to come as an event
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def worker(self) -> str | None:
        worker = self.info.get("worker")
        return str(worker) if worker else None


class DaskRunner:
    """Runs ``trialCommand`` on Dask workers (see the module docstring for the protocol).

    ``scheduler_address`` connects to an existing cluster; without it :meth:`open` starts a
    ``LocalCluster`` of ``n_workers`` processes bound to 127.0.0.1 and :meth:`close` stops it.
    ``resources`` are what every trial needs from a worker, besides ``GPU: trialGpuNumber``.
    Not thread-safe: use it from the manager's event loop only.
    """

    def __init__(
        self,
        experiment_dir: Path,
        sink: MetricSink,
        *,
        scheduler_address: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 1,
        resources: Mapping[str, float] | None = None,
        scheduler_port: int | None = None,
        log_interval: float = 1.0,
        shell: str = "/bin/sh",
        connect_timeout: float = _CONNECT_TIMEOUT_S,
        start_wait: float = 5.0,
        gpu_number: int | None = None,
    ) -> None:
        self._sink = sink
        self._gpu_number = gpu_number
        self._address = scheduler_address
        self._n_workers = n_workers
        self._threads = threads_per_worker
        self._resources = dict(resources or {})
        self._scheduler_port = LOCAL_SCHEDULER_PORT if scheduler_port is None else scheduler_port
        self._log_interval = log_interval
        self._shell = shell
        self._connect_timeout = connect_timeout
        self._start_wait = start_wait
        digest = hashlib.sha1(str(experiment_dir.resolve()).encode()).hexdigest()[:16]
        self._topic = f"tunelab-{digest}-{secrets.token_hex(4)}"
        self._cluster: Any = None
        self._client: Client | None = None
        self._attempts: dict[str, _Attempt] = {}  # trial id -> its current attempt
        self._by_token: dict[str, _Attempt] = {}
        self._killed: dict[str, str] = {}
        self._workers: dict[str, Mapping[str, Any]] = {}  # address -> identity (nthreads, resources)
        self._background: set[asyncio.Task[Any]] = set()
        # Trials re-attached after a manager restart run on this host (a local cluster's leftovers).
        self._local = LocalRunner(experiment_dir, sink)

    # == lifecycle =======================================================================================
    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("DaskRunner is not open; call `await runner.open()` first")
        return self._client

    @property
    def scheduler_address(self) -> str | None:
        scheduler = None if self._client is None else self._client.scheduler
        return None if scheduler is None else str(scheduler.address)

    async def open(self) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ConfigError(
                "trainingService.platform: dask needs the Dask distributed package, which is not installed "
                f"({exc}); install it with `pip install 'tunelab[dask]'` or use platform: local"
            ) from exc
        if self._address:
            try:
                self._client = await Client(self._address, asynchronous=True, timeout=self._connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"trainingService.schedulerAddress: cannot reach the Dask scheduler at {self._address!r} "
                    f"({type(exc).__name__}: {exc}); start it (`dask scheduler`) or fix the address, or remove "
                    "schedulerAddress to run a local cluster"
                ) from exc
        else:
            try:
                self._cluster = await self._start_local_cluster()
            except (OSError, RuntimeError) as exc:
                port = f"port {self._scheduler_port}" if self._scheduler_port else "a free port"
                raise ConfigError(
                    f"trainingService: could not start the local Dask cluster of nWorkers={self._n_workers} on "
                    f"127.0.0.1 ({port}): {exc}; check that the port is free and that worker processes can "
                    "start, or give schedulerAddress of a running cluster"
                ) from exc
            self._client = await Client(self._cluster, asynchronous=True)
        _shorten_batching(self._client)
        self._client.subscribe_topic(self._topic, self._on_event)
        self._client.subscribe_topic("all", self._on_cluster_event)
        from tunelab.runners._dask_plugin import TrialReaper

        await self._client.register_plugin(TrialReaper())
        await self._refresh_workers()
        if self._gpu_number:
            await self._require_gpu_workers(self._gpu_number)

    async def _require_gpu_workers(self, gpu_number: int) -> None:
        """ConfigError unless some worker offers ``GPU: gpu_number`` within GPU_WAIT_S: otherwise every
        trial would wait in Dask's queue, silently, for a worker that never comes."""
        needs = {"GPU": float(gpu_number)}
        deadline = time.monotonic() + GPU_WAIT_S
        while self._capacity(needs) == 0:
            if time.monotonic() >= deadline:
                offered = sorted({f"{k}={v:g}" for w in self._workers.values()
                                  for k, v in (w.get("resources") or {}).items()})
                where = self.scheduler_address or "the local cluster"
                await self.close()
                raise ConfigError(
                    f"trialGpuNumber: {gpu_number}, but no Dask worker at {where} offers the GPU resource "
                    f"(waited {GPU_WAIT_S:g} s; {len(self._workers)} worker(s), offering "
                    f"{', '.join(offered) or 'no resources'}); start workers with "
                    f"`dask worker {where} --resources GPU={gpu_number}`, or set trialGpuNumber: 0"
                )
            await asyncio.sleep(0.5)  # the scheduler has no event for workers joining that we subscribe to
            await self._refresh_workers()

    async def _start_local_cluster(self) -> Any:
        import dask
        from distributed import LocalCluster

        # The embedded cluster is ours alone: a worker that dies fails its task at once instead of Dask
        # re-running it elsewhere (the manager's maxTrialRetries decides about re-runs).
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(
                n_workers=self._n_workers,
                threads_per_worker=self._threads,
                processes=True,
                host="127.0.0.1",
                scheduler_port=self._scheduler_port,
                dashboard_address=None,
                # The scheduler's HTTP endpoints (health, metrics) still listen: on loopback, any free
                # port, so a second cluster never fights over 8787.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                resources=self._resources or None,
                asynchronous=True,
                silence_logs=logging.ERROR,
            )
            share_gpus(cluster.worker_spec, [str(gpu.index) for gpu in detect_gpus()])
            return await cluster

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for attempt in list(self._attempts.values()):
            attempt.result.cancel()  # trials left running are the scheduler's (and the wrappers') to end
        if self._client is not None:
            with contextlib.suppress(Exception):  # a scheduler already gone must not stop the shutdown
                # Unsubscribe first: the scheduler would otherwise send our own remove-client event to
                # the closed connection (and log it as CRITICAL).
                for topic in (self._topic, "all"):
                    self._client.unsubscribe_topic(topic)
                await self._client.close()
            self._client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                await self._cluster.close()
            self._cluster = None

    def channel_env(self) -> Mapping[str, str]:
        return {}  # the worker-side wrapper gives each trial its own channel

    # == capacity ========================================================================================
    def _needs(self, gpu_number: int | None) -> dict[str, float]:
        needs = dict(self._resources)
        if gpu_number:
            needs["GPU"] = float(gpu_number)
        return needs

    def _capacity(self, needs: Mapping[str, float]) -> int:
        total = 0
        for identity in self._workers.values():
            slots = int(identity.get("nthreads", 1) or 1)
            offered = identity.get("resources") or {}
            for name, amount in needs.items():
                if amount > 0:
                    slots = min(slots, math.floor(float(offered.get(name, 0)) / amount))
            total += max(0, slots)
        return total

    def free_slots(self, gpu_number: int | None) -> bool:
        if not self._attempts or not self._workers:
            return True  # nothing of ours runs: let the task wait in Dask for a worker to come
        return len(self._attempts) < self._capacity(self._needs(gpu_number))

    async def _refresh_workers(self) -> None:
        scheduler = self.client.scheduler
        if scheduler is None:
            return
        identity = await scheduler.identity(n_workers=-1)
        self._workers = dict(identity.get("workers", {}))

    # == start / wait / kill =============================================================================
    async def start(self, launch: TrialLaunch) -> RunningHandle:
        client = self.client
        needs = self._needs(launch.gpu_number)
        self._check_offered(needs)
        token = secrets.token_hex(6)
        key = f"tunelab-trial-{launch.trial_id}-{token}"
        spec = self._spec(launch, token, key)
        launch.trial_dir.mkdir(parents=True, exist_ok=True)
        future = client.submit(_dask_worker.run_trial, spec, key=key, pure=False, retries=0,
                               resources=needs or None)
        loop = asyncio.get_running_loop()
        attempt = _Attempt(
            trial_id=launch.trial_id, experiment_id=spec.experiment_id, token=token, key=key, trial_dir=launch.trial_dir,
            command=launch.command, future=future,
            result=loop.create_task(_result_of(future)), started=loop.create_future(), lost=loop.create_future(),
            exited=loop.create_future(),
        )
        attempt.result.add_done_callback(_retrieve)
        self._attempts[launch.trial_id] = attempt
        self._by_token[token] = attempt
        _log_line(launch.trial_dir, f"submitted to the Dask scheduler {self.scheduler_address} as task {key}")
        # Wait for the pid, but not forever: a task queued behind busy (or absent) workers must not hold
        # the manager's loop; it keeps waiting in Dask and wait()/kill() handle it from there.
        await asyncio.wait({attempt.started, attempt.result, attempt.lost}, timeout=self._start_wait,
                           return_when=asyncio.FIRST_COMPLETED)
        pid = int(attempt.info.get("pid", 0))
        if not attempt.started.done() and not attempt.result.done() and not attempt.lost.done():
            _log_line(launch.trial_dir, f"waiting in the Dask queue for a worker (none free after "
                      f"{self._start_wait:g} s)")
        return RunningHandle(trial_id=launch.trial_id, pid=pid,
                             extra={"trial_dir": str(launch.trial_dir), "env": dict(launch.env), "token": token})

    def _check_offered(self, needs: Mapping[str, float]) -> None:
        if not needs or not self._workers or self._capacity(needs) > 0:
            return
        wanted = ", ".join(f"{name}={amount:g}" for name, amount in sorted(needs.items()))
        raise RuntimeError(
            f"no Dask worker offers the resources a trial needs ({wanted}); start workers with e.g. "
            f"`dask worker {self.scheduler_address} --resources \"{wanted.replace(', ', ',')}\"`, or lower "
            "trialGpuNumber / trainingService.resources"
        )

    def _spec(self, launch: TrialLaunch, token: str, key: str) -> _dask_worker.TrialSpec:
        env = dict(launch.env)
        parameter_text = None
        parameter_file = env.get(_env.PARAMETER_FILE)
        if parameter_file:  # large parameters live in a file the worker may not see: send its content
            parameter_text = Path(parameter_file).read_text(encoding="utf-8")
        return _dask_worker.TrialSpec(
            trial_id=launch.trial_id,
            experiment_id=env.get(_env.EXPERIMENT_ID, ""),
            token=token,
            key=key,
            topic=self._topic,
            command=launch.command,
            code_dir=str(launch.code_dir),
            manager_trial_dir=str(launch.trial_dir),
            env=env,
            gpu_number=launch.gpu_number,
            parameter_text=parameter_text,
            shell=self._shell,
            log_interval=self._log_interval,
        )

    async def wait(self, handle: RunningHandle) -> TrialExit:
        if handle.extra.get("adopted"):
            return await self._local.wait(handle)
        attempt = self._attempts[handle.trial_id]
        try:
            await asyncio.wait({attempt.exited, attempt.result, attempt.lost}, return_when=asyncio.FIRST_COMPLETED)
            returncode, message = await self._outcome(attempt)
        finally:
            self._attempts.pop(handle.trial_id, None)
            self._by_token.pop(attempt.token, None)
        reason = self._killed.pop(handle.trial_id, "")
        _log_line(attempt.trial_dir, f"exited with {describe_exit(returncode)}"
                  + (f" ({reason or message})" if reason or message else ""))
        return TrialExit(trial_id=handle.trial_id, returncode=returncode,
                         stderr_tail=_tail(attempt.trial_dir / STDERR), message=reason or message)

    async def _outcome(self, attempt: _Attempt) -> tuple[int | None, str]:
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        if attempt.exited.done():
            return self._apply_result(attempt, attempt.exited.result())
        if not attempt.result.done():  # the worker was lost before the task could answer
            await self._abandon(attempt)
            return None, attempt.lost.result()
        try:
            result = attempt.result.result()
        except KilledWorker:
            message = attempt.lost.result() if attempt.lost.done() else _lost_message(attempt.worker, expected=False)
            await self._abandon(attempt)
            return None, message
        except (FutureCancelledError, asyncio.CancelledError) as exc:
            if attempt.lost.done():
                return None, attempt.lost.result()
            why = getattr(exc, "reason", "") or "cancelled"
            return None, f"the Dask task was cancelled ({why})"
        except Exception as exc:  # the wrapper itself failed on the worker (e.g. tunelab not installed)
            hint = "; tunelab must be installed on every Dask worker" if isinstance(exc, ImportError) else ""
            return None, (f"the trial's Dask task failed on worker {attempt.worker or '?'}: "
                          f"{type(exc).__name__}: {exc}{hint}")
        return self._apply_result(attempt, result)

    def _apply_result(self, attempt: _Attempt, result: Mapping[str, Any]) -> tuple[int | None, str]:
        """Write the last log bytes and metrics into the trial directory; the exit status and message."""
        for chunk in result.get("chunks", ()):
            _write_at(attempt.trial_dir / str(chunk["stream"]), int(chunk["offset"]), bytes(chunk["data"]))
        _complete_metrics_file(attempt.trial_dir / _env.METRICS_FILE_NAME, str(result.get("metrics") or ""))
        returncode = result.get("returncode")
        return (None if returncode is None else int(returncode)), str(result.get("message") or "")

    async def _abandon(self, attempt: _Attempt) -> None:
        """After a lost worker: make sure Dask does not re-run the attempt and no process of it survives."""
        attempt.result.cancel()
        with contextlib.suppress(Exception):
            await self.client.cancel(attempt.future, force=True)
        with contextlib.suppress(Exception):  # workers come and go; a failed broadcast must not hide the exit
            await asyncio.wait_for(
                self.client.run(_dask_worker.kill_strays, attempt.experiment_id, attempt.trial_id, on_error="ignore"),
                timeout=_CONTROL_TIMEOUT_S,
            )

    async def kill(self, handle: RunningHandle, *, grace: float = 5.0, reason: str = "killed") -> None:
        if handle.extra.get("adopted"):
            await self._local.kill(handle, grace=grace, reason=reason)
            return
        self._killed.setdefault(handle.trial_id, reason)
        attempt = self._attempts.get(handle.trial_id)
        if attempt is None:
            return
        if attempt.worker is None:
            # The process may exist while its "started" event is still on the way: give it a moment.
            await asyncio.wait({attempt.started, attempt.result, attempt.lost}, timeout=min(grace, 1.0),
                               return_when=asyncio.FIRST_COMPLETED)
        if attempt.worker is not None:
            await self._request_kill(attempt.worker, attempt.token, grace, reason)
            return
        # Still queued (or its worker unknown): every worker refuses or ends this attempt, then Dask drops it.
        await self._request_kill(None, attempt.token, grace, reason)
        with contextlib.suppress(Exception):
            await self.client.cancel(attempt.future)

    async def _request_kill(self, worker: str | None, token: str, grace: float, reason: str) -> None:
        """Ask ``worker`` (None: every worker) to end attempt ``token``."""
        workers = None if worker is None else [worker]
        with contextlib.suppress(Exception):  # the worker may be gone, which ends the trial anyway
            await asyncio.wait_for(
                self.client.run(_dask_worker.request_kill, token, grace, reason, workers=workers, on_error="ignore"),
                timeout=_CONTROL_TIMEOUT_S,
            )

    def adopt(self, trial_id: str, pid: int, trial_dir: Path, env: Mapping[str, str]) -> RunningHandle:
        """A trial of an earlier manager whose process runs on this host (a local cluster's worker)."""
        handle = self._local.adopt(trial_id, pid, trial_dir, env)
        handle.extra["adopted"] = True
        return handle

    # == events from the cluster =========================================================================
    def _on_event(self, event: tuple[float, Any]) -> None:
        message = event[1]
        if not isinstance(message, dict):
            return
        kind = message.get("t")
        attempt = self._by_token.get(str(message.get("token")))
        if kind == "metric" and attempt is not None:
            self._on_metric_line(attempt, str(message.get("line", "")))
        elif kind == "log" and attempt is not None:
            _write_at(attempt.trial_dir / str(message["stream"]), int(message["offset"]), bytes(message["data"]))
        elif kind == "started":
            self._on_started(attempt, message)
        elif kind == "exit" and attempt is not None and not attempt.exited.done():
            result = message.get("result")
            if isinstance(result, dict):
                attempt.exited.set_result(result)

    def _on_metric_line(self, attempt: _Attempt, line: str) -> None:
        try:
            metric = json.loads(line)
        except ValueError:
            return
        if isinstance(metric, dict) and metric.get("trial") == attempt.trial_id:
            _append_text(attempt.trial_dir / _env.METRICS_FILE_NAME, line if line.endswith("\n") else line + "\n")
            self._sink(metric)

    def _on_started(self, attempt: _Attempt | None, message: Mapping[str, Any]) -> None:
        worker = message.get("worker")
        if attempt is None or attempt.started.done():
            # A stale attempt that Dask ran again after we gave up on it: end it.
            if worker:
                self._spawn(self._request_kill(str(worker), str(message.get("token")), 0.0, "stale attempt"))
            return
        attempt.info = dict(message)
        attempt.started.set_result(message)
        cuda = message.get("cuda")
        _log_line(attempt.trial_dir, f"started pid {message.get('pid')} on Dask worker {worker} (host "
                  f"{message.get('host')}): {attempt.command}"
                  + (f" (CUDA_VISIBLE_DEVICES={cuda})" if cuda is not None else ""))

    def _on_cluster_event(self, event: tuple[float, Any]) -> None:
        message = event[1]
        if not isinstance(message, dict):
            return
        action = message.get("action")
        if action == "remove-worker":
            address = str(message.get("worker", ""))
            processing = {str(key) for key in message.get("processing-tasks") or ()}
            for attempt in list(self._attempts.values()):
                if (attempt.worker == address or attempt.key in processing) and not attempt.lost.done():
                    attempt.lost.set_result(_lost_message(address, expected=bool(message.get("expected"))))
        if action in ("add-worker", "remove-worker"):
            self._spawn(self._refresh_workers())

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def dask_runner_from_config(
    service: TrainingServiceConfig | None, experiment_dir: Path, sink: MetricSink, *, gpu_number: int | None = None
) -> DaskRunner:
    """The runner for ``trainingService: {platform: dask, ...}``; ConfigError for any other service."""
    from tunelab.config import DaskConfig

    if not isinstance(service, DaskConfig):
        platform = getattr(service, "platform", None)
        raise ConfigError(
            f"trainingService.platform: the Dask runner needs platform: dask, got {platform!r}; "
            "write trainingService: {platform: dask}"
        )
    return DaskRunner(
        experiment_dir,
        sink,
        scheduler_address=service.scheduler_address,
        n_workers=service.n_workers,
        threads_per_worker=service.threads_per_worker,
        resources=service.resources,
        gpu_number=gpu_number,
    )


def _shorten_batching(client: Client) -> None:
    """Send the client's messages to the scheduler within 1 ms instead of Dask's 10 ms batches.

    A trial submitted right after the previous one released its key would otherwise wait for the next
    batch; the runner sends a handful of messages per trial, so the smaller batches cost nothing.
    """
    comm = getattr(client, "scheduler_comm", None)
    if comm is not None and isinstance(getattr(comm, "interval", None), (int, float)):
        comm.interval = min(comm.interval, 0.001)


def share_gpus(worker_spec: dict[Any, Any], devices: list[str]) -> None:
    """Give each local worker its own share of this host's GPUs (round robin), before the workers start.

    A worker sees only its share (``CUDA_VISIBLE_DEVICES``) and offers it as the ``GPU`` resource, so
    Dask never places more GPU trials on a worker than it has GPUs, and two workers never hand out the
    same device. Without GPUs the spec is left alone.
    """
    if not devices:
        return
    names = sorted(worker_spec, key=str)
    for position, name in enumerate(names):
        share = devices[position::len(names)]
        spec = worker_spec[name]
        options = dict(spec.get("options", {}))
        options["env"] = {**(options.get("env") or {}), "CUDA_VISIBLE_DEVICES": ",".join(share)}
        options["resources"] = {**(options.get("resources") or {}), "GPU": len(share)}
        worker_spec[name] = {**spec, "options": options}


async def _result_of(future: Future[Any]) -> Any:
    return await future


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a result task's exception as seen: wait() reports it, or nobody needs it (closed runner)."""
    if not task.cancelled():
        task.exception()


def _lost_message(worker: str | None, *, expected: bool) -> str:
    how = "was retired" if expected else "died or lost contact with the scheduler"
    return f"Dask worker {worker or '?'} {how} while running the trial"


def _write_at(path: Path, offset: int, data: bytes) -> None:
    """Write a log chunk at its offset: chunks may arrive in any order, and twice."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.pwrite(fd, data, offset)
    finally:
        os.close(fd)


def _append_text(path: Path, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError:
        pass


def _complete_metrics_file(path: Path, worker_copy: str) -> None:
    """Append what the worker's metrics file holds beyond the lines that arrived live.

    The manager's copy stays append-only (its reader tails it by offset). Live lines arrive in the order
    the trial wrote them, so normally the copy is a prefix of the worker's file.
    """
    if not worker_copy:
        return
    try:
        have = path.read_text(encoding="utf-8")
    except OSError:
        have = ""
    if worker_copy.startswith(have):
        missing = worker_copy[len(have):]
    else:
        seen = set(have.splitlines())
        missing = "".join(line for line in worker_copy.splitlines(keepends=True) if line.rstrip("\n") not in seen)
    if missing:
        _append_text(path, missing)
