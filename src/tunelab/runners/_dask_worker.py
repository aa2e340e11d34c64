"""Worker side of the Dask runner: run one trial command on a Dask worker and stream its life back.

This module runs inside Dask worker processes. It needs only the stdlib, ``distributed`` and tunelab's
process helpers. Everything the trial produces travels back over Dask's own communication
(``Worker.log_event`` to a topic the manager subscribes to, and the task result), so a trial never needs
a network path to the manager:

* metrics: the trial's live channel is a Unix socket owned by this wrapper on the worker; each line is
  forwarded as an event the moment it arrives, and the complete metrics file comes back in the result;
* ``stdout``/``stderr``: written to a worker-local directory and shipped as ``(offset, bytes)`` chunks
  every ``log_interval`` seconds, so the manager writes them at their offsets whatever order they arrive in;
* the exit status and the last chunks: the task result.

Kill requests arrive through ``Client.run`` (:func:`request_kill`), which runs on the worker's event loop
and must not block: it sends SIGTERM and leaves the SIGKILL escalation to the wrapper thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.base import env as _env
from tunelab.runners import _process
from tunelab.runners._channel import same_user

STREAMS = ("stdout", "stderr")
#: Bytes of one log chunk event, and of each stream shipped per tick. The scheduler keeps the last 1000
#: events of a topic (``distributed.admin.low-level-log-length``), so this bounds what it holds for us.
CHUNK_BYTES = 64 * 1024
#: A result up to this size also travels as an ``exit`` event: the manager has it one hop sooner than
#: through the task result (which it would fetch from the worker after the scheduler's notice).
EXIT_EVENT_BYTES = 64 * 1024
#: Bytes of each stream shipped back in all; the rest stays in the worker-local file.
STREAM_CAP = 32 * 1024 * 1024
#: Bytes of the metrics file returned with the result (the trial API caps one metric at 1 MB).
METRICS_CAP = 16 * 1024 * 1024
_MAX_LINE = 2_000_000


@dataclass(frozen=True, slots=True)
class TrialSpec:
    """What the manager sends to the worker for one trial attempt (pickled with the task)."""

    trial_id: str
    experiment_id: str
    token: str  # unique per attempt: tells a stale re-run from the current one
    key: str  # the Dask task key, to notice when the manager no longer wants the task
    topic: str
    command: str
    code_dir: str
    manager_trial_dir: str
    env: Mapping[str, str]
    gpu_number: int | None = None
    parameter_text: str | None = None
    shell: str = "/bin/sh"
    log_interval: float = 1.0
    cancel_grace: float = 5.0


@dataclass
class _Attempt:
    """A trial attempt as the worker process tracks it (shared between the wrapper and kill requests)."""

    spec: TrialSpec
    wake: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[bytes] | None = None
    kill_deadline: float | None = None
    kill_reason: str = ""

    def request_kill(self, grace: float, reason: str) -> None:
        if self.kill_deadline is None:
            self.kill_deadline = time.monotonic() + max(0.0, grace)
            self.kill_reason = reason
        if self.process is not None:
            _process.signal_group(self.process.pid, signal.SIGTERM)
            if grace <= 0:  # no grace (the worker is going away): do not count on the wrapper to escalate
                _process.signal_group(self.process.pid, signal.SIGKILL)
        self.wake.set()


_LOCK = threading.Lock()
_ATTEMPTS: dict[str, _Attempt] = {}  # token -> attempt, in this worker process
_EARLY_KILLS: dict[str, tuple[float, str, float]] = {}  # token -> (grace, reason, when): kills ahead of the attempt
_EARLY_KILL_TTL_S = 600.0  # a kill for an attempt that never came here is forgotten after this
_GPU_USE: dict[str, int] = {}  # device id -> trials of this worker process using it


# == entry points (called through Dask) ==================================================================
def run_trial(spec: TrialSpec) -> dict[str, Any]:
    """Run ``spec.command`` on this worker until it ends; the Dask task body of one trial attempt.

    Returns ``{"returncode", "message", "chunks", "metrics"}``: ``returncode`` is None when the command
    could not start (``message`` says why); ``chunks`` are the log bytes not yet shipped as events.
    """
    from distributed import get_worker

    entered = time.time()
    worker = get_worker()
    emit = _emitter(worker, spec)
    result = _run(spec, worker, emit, entered)
    if _result_bytes(result) <= EXIT_EVENT_BYTES:
        emit({"t": "exit", "result": result})
    return result


def _run(spec: TrialSpec, worker: Any, emit: Callable[[dict[str, Any]], None], entered: float) -> dict[str, Any]:
    if not os.path.isdir(spec.code_dir):
        return _not_started(
            f"trialCodeDirectory {spec.code_dir!r} does not exist on Dask worker {worker.address} "
            f"(host {socket.gethostname()}); every worker must see the trial code at that path: use a "
            "shared filesystem or copy the code to the same path on each worker"
        )
    workdir = Path(worker.local_directory) / "tunelab-trials" / f"{spec.trial_id}-{spec.token}"
    workdir.mkdir(parents=True, exist_ok=True)
    attempt = _register(spec)
    try:
        if attempt.kill_deadline is not None:
            return _not_started(f"{attempt.kill_reason} before it started")
        return _run_attempt(attempt, worker, workdir, emit, entered)
    finally:
        with _LOCK:
            _ATTEMPTS.pop(spec.token, None)


def request_kill(token: str, grace: float, reason: str) -> bool:
    """Ask the attempt ``token`` to end: SIGTERM now, SIGKILL after ``grace`` (via ``Client.run``).

    Never blocks (it runs on the worker's event loop). Returns True when the attempt was running here.
    """
    with _LOCK:
        attempt = _ATTEMPTS.get(token)
        if attempt is None:
            now = time.monotonic()
            for stale in [t for t, (_, _, when) in _EARLY_KILLS.items() if now - when > _EARLY_KILL_TTL_S]:
                del _EARLY_KILLS[stale]
            _EARLY_KILLS[token] = (grace, reason, now)
            return False
    attempt.request_kill(grace, reason)
    return True


def kill_strays(experiment_id: str, trial_id: str) -> int:
    """SIGKILL every process on this host carrying the trial's identity; how many were found.

    Used after a worker died: its trial processes live in their own sessions and outlive it.
    """
    pids = [
        pid
        for pid in _process.pids_with_env(_env.TRIAL_ID, trial_id)
        if _process.process_has_env(pid, _env.EXPERIMENT_ID, experiment_id)
    ]
    _process.kill_pids(pids)
    return len(pids)


def kill_all_attempts(reason: str = "the Dask worker is closing") -> None:
    """End every trial of this worker process now (used when the worker shuts down)."""
    with _LOCK:
        attempts = list(_ATTEMPTS.values())
    for attempt in attempts:
        attempt.request_kill(0.0, reason)


# == one attempt =========================================================================================
def _run_attempt(
    attempt: _Attempt, worker: Any, workdir: Path, emit: Callable[[dict[str, Any]], None], entered: float
) -> dict[str, Any]:
    spec = attempt.spec
    env, gpus = _trial_env(spec, workdir, worker)
    channel = _Channel(f"tunelab-dask-{spec.token}-{os.getpid()}", workdir, spec.trial_id,
                       lambda line: emit({"t": "metric", "line": line}))
    env[_env.CHANNEL] = f"unix:{channel.address}"
    stdout = open(workdir / "stdout", "ab")  # noqa: SIM115 - handed to the child, closed below
    stderr = open(workdir / "stderr", "ab")  # noqa: SIM115
    try:
        try:
            attempt.process = subprocess.Popen(
                [spec.shell, "-c", spec.command], cwd=spec.code_dir, env=env, stdin=subprocess.DEVNULL,
                stdout=stdout, stderr=stderr, start_new_session=True,
            )
        except OSError as exc:
            return _not_started(f"could not start {spec.shell} on Dask worker {worker.address}: {exc}")
        finally:
            stdout.close()
            stderr.close()
        emit({"t": "started", "pid": attempt.process.pid, "worker": worker.address, "host": socket.gethostname(),
              "workdir": str(workdir), "cuda": env.get("CUDA_VISIBLE_DEVICES"),
              "entered": entered, "spawned": time.time()})
        channel.start()  # after the spawn: starting a thread can wait for the GIL, the trial need not
        tails = [_Tail(workdir / name, name) for name in STREAMS]
        returncode = _supervise(attempt, worker, tails, emit)
    finally:
        channel.close()
        _release_gpus(gpus)
    return {
        "returncode": returncode,
        "message": attempt.kill_reason,
        "chunks": [chunk for tail in tails for chunk in tail.read_all()],
        "metrics": _read_capped(Path(env[_env.METRICS_FILE]), METRICS_CAP),
        "workdir": str(workdir),
    }


def _supervise(attempt: _Attempt, worker: Any, tails: list[_Tail], emit: Callable[[dict[str, Any]], None]) -> int:
    """Wait for the process, shipping logs each ``log_interval`` and enforcing kill deadlines."""
    process = attempt.process
    if process is None:  # pragma: no cover - _run_attempt sets it before calling
        raise RuntimeError("the trial process was not started")
    spec = attempt.spec
    exited = threading.Event()

    def reap() -> None:
        process.wait()
        exited.set()
        attempt.wake.set()

    threading.Thread(target=reap, name=f"tunelab-reap-{spec.trial_id}", daemon=True).start()
    if attempt.kill_deadline is not None:  # a kill arrived between registration and the spawn
        attempt.request_kill(0.0, attempt.kill_reason)
    while not exited.is_set():
        attempt.wake.wait(_next_timeout(attempt, spec.log_interval))
        attempt.wake.clear()
        if exited.is_set():
            break
        for tail in tails:
            for chunk in tail.read_available():
                emit({"t": "log", **chunk})
        if attempt.kill_deadline is None and _task_abandoned(worker, spec.key):
            attempt.request_kill(spec.cancel_grace, "the Dask task was cancelled (the manager went away)")
        if attempt.kill_deadline is not None and time.monotonic() >= attempt.kill_deadline:
            _process.signal_group(process.pid, signal.SIGKILL)
            # Again after an interval if it still lives (a process in uninterruptible sleep), not in a spin.
            attempt.kill_deadline = time.monotonic() + spec.log_interval
    # A stopped trial's shell dies of SIGTERM at once while the script under it may still be saving a
    # checkpoint (tunelab.should_stop()): let the group drain until the grace period ends.
    while (attempt.kill_deadline is not None and _process.group_alive(process.pid)
           and time.monotonic() < attempt.kill_deadline):
        time.sleep(0.05)
    # Stragglers in the group (a shell's background job, forked workers) die with the trial.
    if _process.group_alive(process.pid):
        _process.signal_group(process.pid, signal.SIGKILL)
    if attempt.kill_deadline is not None:
        kill_strays(spec.experiment_id, spec.trial_id)
    return process.returncode


def _next_timeout(attempt: _Attempt, interval: float) -> float:
    if attempt.kill_deadline is None:
        return interval
    return max(0.0, min(interval, attempt.kill_deadline - time.monotonic()))


def _task_abandoned(worker: Any, key: str) -> bool:
    """True when the scheduler no longer wants this task (the manager cancelled it or disconnected)."""
    state = getattr(worker, "state", None)
    tasks = getattr(state, "tasks", None)
    if tasks is None:
        return False
    task = tasks.get(key)
    return task is None or task.state in ("cancelled", "released", "forgotten")


def _register(spec: TrialSpec) -> _Attempt:
    attempt = _Attempt(spec)
    with _LOCK:
        _ATTEMPTS[spec.token] = attempt
        early = _EARLY_KILLS.pop(spec.token, None)
    if early is not None:
        attempt.request_kill(early[0], early[1])
    return attempt


def _result_bytes(result: Mapping[str, Any]) -> int:
    return sum(len(chunk["data"]) for chunk in result.get("chunks", ())) + len(result.get("metrics", ""))


def _not_started(message: str) -> dict[str, Any]:
    return {"returncode": None, "message": message, "chunks": [], "metrics": "", "workdir": ""}


def _emitter(worker: Any, spec: TrialSpec) -> Callable[[dict[str, Any]], None]:
    def emit(message: dict[str, Any]) -> None:
        # Worker.log_event is thread-safe: from other threads it hops onto the worker's event loop.
        worker.log_event(spec.topic, {**message, "trial": spec.trial_id, "token": spec.token})

    return emit


# == environment and GPUs ================================================================================
def _trial_env(spec: TrialSpec, workdir: Path, worker: Any) -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    env.update(spec.env)
    # The manager's trial directory is the output directory when this worker sees it (shared filesystem
    # or a local cluster); otherwise the worker-local directory stands in.
    output = spec.manager_trial_dir if _writable_dir(spec.manager_trial_dir) else str(workdir)
    for name in (_env.OUTPUT_DIR, "NNI_OUTPUT_DIR", "NNI_SYS_DIR"):
        env[name] = output
    env[_env.TENSORBOARD_DIR] = str(Path(output) / _env.TENSORBOARD_DIR_NAME)
    env[_env.METRICS_FILE] = str(workdir / _env.METRICS_FILE_NAME)
    env[_env.PLATFORM] = "dask"
    env["TUNELAB_DASK_WORKER"] = str(worker.address)
    if spec.parameter_text is not None:
        path = workdir / "parameter.json"
        path.write_text(spec.parameter_text, encoding="utf-8")
        env[_env.PARAMETER_FILE] = str(path)
        env.pop(_env.PARAMETERS, None)
    gpus: list[str] = []
    if spec.gpu_number is not None:
        gpus = _allocate_gpus(spec.gpu_number, worker)
        env["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
    return env, gpus


def _writable_dir(path: str) -> bool:
    return bool(path) and os.path.isdir(path) and os.access(path, os.W_OK)


def worker_devices(worker: Any) -> list[str]:
    """The GPUs this worker may hand out: its own ``CUDA_VISIBLE_DEVICES``, else ``range(GPU resource)``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        return [part.strip() for part in visible.split(",") if part.strip()]
    state = getattr(worker, "state", None)
    total = getattr(state, "total_resources", None) or getattr(worker, "total_resources", {}) or {}
    return [str(i) for i in range(int(total.get("GPU", 0)))]


def _allocate_gpus(count: int, worker: Any) -> list[str]:
    """Least-used devices first. Dask's ``GPU`` resource already caps how many trials run here."""
    if count <= 0:
        return []
    devices = worker_devices(worker)
    with _LOCK:
        chosen = sorted(devices, key=lambda d: (_GPU_USE.get(d, 0), devices.index(d)))[:count]
        for device in chosen:
            _GPU_USE[device] = _GPU_USE.get(device, 0) + 1
    return chosen


def _release_gpus(gpus: list[str]) -> None:
    with _LOCK:
        for device in gpus:
            left = _GPU_USE.get(device, 0) - 1
            if left > 0:
                _GPU_USE[device] = left
            else:
                _GPU_USE.pop(device, None)


# == logs ================================================================================================
class _Tail:
    """Reads what a growing file gained since the last call, as ``{"stream", "offset", "data"}`` chunks."""

    def __init__(self, path: Path, stream: str) -> None:
        self.path = path
        self.stream = stream
        self.offset = 0

    def read_available(self, limit: int = CHUNK_BYTES) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        budget = min(limit, STREAM_CAP - self.offset)
        if budget <= 0:
            return chunks
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read(budget)
        except OSError:
            return chunks
        for start in range(0, len(data), CHUNK_BYTES):
            piece = data[start:start + CHUNK_BYTES]
            chunks.append({"stream": self.stream, "offset": self.offset, "data": piece})
            self.offset += len(piece)
        return chunks

    def read_all(self) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        while True:
            got = self.read_available(limit=STREAM_CAP)
            if not got:
                break
            chunks.extend(got)
        if self.offset >= STREAM_CAP:
            chunks.append({"stream": self.stream, "offset": self.offset,
                           "data": f"\n[tunelab: {self.stream} truncated at {STREAM_CAP} bytes; the whole file "
                                   f"is on the worker at {self.path}]\n".encode()})
        return chunks


def _read_capped(path: Path, cap: int) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


# == the trial's live metric channel on the worker ======================================================
class _Channel:
    """A Unix socket the trial's reports arrive on; each JSON line goes to ``forward`` at once, verbatim
    (the same bytes the trial appends to its metrics file, so the manager's copy of that file stays a
    byte-for-byte prefix of the worker's).

    Lines naming another trial are dropped: only this attempt's trial may report through it; connections
    from another user of the worker host are closed unread.
    """

    def __init__(self, name: str, workdir: Path, trial_id: str, forward: Callable[[str], None]) -> None:
        self._forward = forward
        self._trial_id = trial_id
        self._readers: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if sys.platform.startswith("linux"):
            self.address = "@" + name
            self._sock.bind("\0" + name)
        else:
            self.address = str(workdir / "channel.sock")
            self._sock.bind(self.address)
        self._sock.listen(16)
        self._acceptor = threading.Thread(target=self._accept, name=f"tunelab-channel-{trial_id}", daemon=True)

    def start(self) -> None:
        """Start accepting. Until then connections wait in the backlog, so this can follow the spawn."""
        self._acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        if not same_user(conn):  # another user on the worker host: the abstract socket has no permissions
            conn.close()
            return
        conn.setblocking(True)
        reader = threading.Thread(target=self._read, args=(conn,), daemon=True)
        reader.start()
        with self._lock:  # close() joins what it finds here, so only started threads go in
            self._readers.append(reader)

    def _accept_pending(self) -> None:
        """Take connections still in the backlog (a short-lived trial may exit before the acceptor ran)."""
        self._sock.setblocking(False)
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # BlockingIOError: the backlog is empty
                return
            self._serve(conn)

    def _read(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                if len(line) > _MAX_LINE:
                    continue
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if isinstance(message, dict) and message.get("trial") == self._trial_id:
                    self._forward(line.decode("utf-8", errors="replace"))

    def close(self, drain: float = 1.0) -> None:
        """Stop accepting; give readers of an exited trial ``drain`` seconds to deliver their last lines."""
        self._accept_pending()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the acceptor's accept() with an error
        deadline = time.monotonic() + drain
        if self._acceptor.is_alive():
            self._acceptor.join(drain)  # after this no reader can still be on its way into the list
        self._sock.close()
        with self._lock:
            readers = list(self._readers)
        for reader in readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        if not self.address.startswith("@"):
            with contextlib.suppress(OSError):
                os.unlink(self.address)
