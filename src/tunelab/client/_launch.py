"""Starting a manager as a detached process and waiting until it serves (or says why it cannot)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.base import ErrorCode, TunelabError, check_port
from tunelab.manager import ManagerInfo, experiments_root, prepare_root

if TYPE_CHECKING:  # the config package loads numpy and the tuners; a caller that has a config paid already
    from tunelab.config import ExperimentConfig

READY, ERROR = "READY", "ERROR"
START_TIMEOUT_S = 120.0


def spawn_manager(args: list[str], log_path: Path) -> ManagerInfo:
    """Run ``tunelab _serve ARGS`` detached (own session, survives this process) and wait for it.

    The child reports through a pipe: ``READY <info json>`` once its server listens, or
    ``ERROR <json code+message>`` when it cannot start (bad config, port in use, locked experiment).
    """
    read_fd, write_fd = os.pipe()
    os.set_inheritable(write_fd, True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "tunelab.cli", "_serve", "--ready-fd", str(write_fd), *args]
    # posix_spawn rather than Popen: the manager outlives this process (and the Popen object that would
    # warn about a child still running); setsid detaches it from the terminal's Ctrl-C.
    pid = os.posix_spawn(
        sys.executable, argv, dict(os.environ), setsid=True,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
            (os.POSIX_SPAWN_CLOSE, read_fd),
        ],
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "r", encoding="utf-8") as pipe:
        line = pipe.readline().strip()  # blocks until the child writes or exits (EOF)
    if line.startswith(READY + " "):
        return ManagerInfo(**json.loads(line[len(READY) + 1:]))
    if line.startswith(ERROR + " "):
        payload = json.loads(line[len(ERROR) + 1:])
        raise TunelabError(payload["message"], code=ErrorCode(payload["code"]))
    _, status = os.waitpid(pid, 0)
    raise TunelabError(
        f"the manager exited before it was ready (exit status {os.waitstatus_to_exitcode(status)}); see {log_path}"
    )


def start_detached(cfg: ExperimentConfig, *, port: int, host: str = "127.0.0.1", token: str | None = None,
                   experiment_id: str | None = None) -> ManagerInfo:
    """Hand the config to a detached ``tunelab _serve`` and return once its server listens."""
    check_port(port)  # before spawning: the manager would only die "before it was ready"
    prepare_root(cfg.experiment_working_directory)  # its log goes there; a bad path is the config's fault
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(cfg.to_dict(), handle)
        config_path = handle.name
    args = ["--mode", "create", "--config", config_path, "--port", str(port), "--host", host]
    if token:
        args += ["--token", token]
    if experiment_id is not None:  # "" too: the manager refuses it rather than picking a fresh id
        args += ["--id", experiment_id]
    root = experiments_root(cfg.experiment_working_directory)
    try:
        return spawn_manager(args, root / "_managers.log")
    finally:
        Path(config_path).unlink(missing_ok=True)


def report_ready(fd: int | None, info: ManagerInfo) -> None:
    if fd is None:
        return
    _write(fd, f"{READY} {json.dumps(asdict(info))}\n")


def report_error(fd: int | None, error: TunelabError) -> None:
    if fd is None:
        return
    _write(fd, f"{ERROR} {json.dumps({'code': error.code.value, 'message': error.message})}\n")


def _write(fd: int, text: str) -> None:
    try:
        os.write(fd, text.encode())
        os.close(fd)
    except OSError:
        pass
