"""Commands that start a manager: run (foreground), create (detached), resume, view, and the hidden _serve."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tunelab.base import TunelabError, check_port
from tunelab.base import env as _env
from tunelab.cli._common import app, console, err_console, handle_errors, port_option
from tunelab.client import report_error, report_ready, safe, spawn_manager, start_detached
from tunelab.manager import ManagerInfo, Mode, experiments_root
from tunelab.trial import ExperimentStatus

# The config, manager and server packages load numpy, the tuners and the web framework (~1.5 s): commands
# import them when they run, so `tunelab best` or `tunelab --help` start in a fraction of that.
if TYPE_CHECKING:
    from tunelab.config import ExperimentConfig
    from tunelab.manager import Session

PortOpt = Annotated[int, typer.Option("--port", "-p", callback=port_option, help="Port of the web UI and REST API.")]
HostOpt = Annotated[str, typer.Option("--host", help="Address to bind; anything but loopback needs a token.")]
TokenOpt = Annotated[str | None, typer.Option("--token", help="Access token (generated when binding beyond loopback).")]
StorageOpt = Annotated[
    str | None, typer.Option("--storage", help="Keep the experiment in PostgreSQL (postgresql://...) instead of SQLite.")
]

SUCCESS_STATUSES = {ExperimentStatus.DONE, ExperimentStatus.NO_MORE_TRIAL, ExperimentStatus.TUNER_NO_MORE_TRIAL}


def exit_code_for(status: ExperimentStatus, *, any_worked: bool = True) -> int:
    """0 for a finished run with at least one trial that worked, 130 when stopped, else 1."""
    if status in SUCCESS_STATUSES:
        return 0 if any_worked else 1
    if status == ExperimentStatus.STOPPED:
        return 130
    return 1


def _with_storage(config: ExperimentConfig, storage: str | None) -> ExperimentConfig:
    if storage:
        config.storage = storage
        config.validate()  # the flag gets the same check as the config key
    return config


def _print_notices(config: ExperimentConfig) -> None:
    """What the user should know before the experiment starts: a converted v1 config, an oversized
    concurrency."""
    converted = getattr(config, "converted_from_v1_yaml", None)
    if converted:
        err_console.print("[yellow]This is an NNI v1 config; it was converted. The v2 equivalent:[/]")
        err_console.print(converted, markup=False, highlight=False)
    from tunelab.manager import concurrency_warning

    config.validate()  # the warning reads checked values; the caller would validate next anyway
    warning = concurrency_warning(config)
    if warning:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


@app.command()
@handle_errors
def run(
    config: Annotated[Path, typer.Argument(help="Experiment config (NNI v2/v1 YAML or JSON).")],
    port: PortOpt = 8080,
    host: HostOpt = "127.0.0.1",
    token: TokenOpt = None,
    experiment_id: Annotated[str | None, typer.Option("--id", help="Experiment id to use.")] = None,
    storage: StorageOpt = None,
) -> None:
    """Run an experiment in the foreground with a live progress bar; exit 0 when it ends DONE."""
    from tunelab.config import load_config

    cfg = _with_storage(load_config(config), storage)
    _print_notices(cfg)
    status, worked = _run_foreground(cfg, port=port, host=host, token=token, experiment_id=experiment_id)
    raise typer.Exit(exit_code_for(status, any_worked=worked))


def run_foreground(cfg: ExperimentConfig, *, port: int, host: str = "127.0.0.1", token: str | None = None,
                   experiment_id: str | None = None, quiet: bool = False) -> ExperimentStatus:
    """Create the experiment and run it here to its end; returns its final status."""
    return _run_foreground(cfg, port=port, host=host, token=token, experiment_id=experiment_id, quiet=quiet)[0]


def _run_foreground(cfg: ExperimentConfig, *, port: int, host: str = "127.0.0.1", token: str | None = None,
                    experiment_id: str | None = None, quiet: bool = False) -> tuple[ExperimentStatus, bool]:
    from tunelab.client import server_settings
    from tunelab.manager import create_session
    from tunelab.server import bind_socket

    cfg.validate()
    settings = server_settings(host, port, token)
    sock = bind_socket(host, port)  # before anything is stored: a taken port loses nothing
    try:
        session = create_session(cfg, experiment_id=experiment_id)
    except BaseException:
        sock.close()
        raise
    return asyncio.run(_host_with_progress(session, sock, settings, quiet=quiet))


async def _host_with_progress(session: Session, sock: object, settings: object, *,
                              quiet: bool) -> tuple[ExperimentStatus, bool]:
    """Serve and run ``session``; returns its final status and whether any trial worked."""
    from tunelab.client import ProgressView, host_session

    view = ProgressView(session, console=console, enabled=not quiet)

    def ready(info: ManagerInfo) -> None:
        view.announce(info)
        view.start()

    status = await host_session(session, sock, settings, on_ready=ready, on_finish=view.stop)  # type: ignore[arg-type]
    return status, view.any_worked


@app.command()
@handle_errors
def create(
    config: Annotated[Path, typer.Option("--config", "-c", help="Experiment config file.")],
    port: PortOpt = 8080,
    host: HostOpt = "127.0.0.1",
    token: TokenOpt = None,
    foreground: Annotated[bool, typer.Option("--foreground", "-f", help="Stay attached (like run).")] = False,
    experiment_id: Annotated[str | None, typer.Option("--id", help="Experiment id to use.")] = None,
    storage: StorageOpt = None,
) -> None:
    """Start an experiment in a detached manager that keeps serving the UI until `tunelab stop`."""
    from tunelab.config import load_config

    cfg = _with_storage(load_config(config), storage)
    _print_notices(cfg)
    if foreground:
        status, worked = _run_foreground(cfg, port=port, host=host, token=token, experiment_id=experiment_id)
        raise typer.Exit(exit_code_for(status, any_worked=worked))
    cfg.validate()
    info = start_detached(cfg, port=port, host=host, token=token, experiment_id=experiment_id)
    _print_started(info)


def _print_started(info: ManagerInfo, experiment_id: str | None = None, *, runs_trials: bool = True) -> None:
    exp = experiment_id or info.experiment_id
    url = info.url + (f"?token={info.token}" if info.token else "")
    console.print(f"[green]Experiment started[/]: {safe(exp or '')}")
    console.print(f"Web UI: {safe(url)}")
    from tunelab.manager import interpreter_note

    note = interpreter_note() if runs_trials else None
    if note:
        console.print(note, markup=False, highlight=False)
    if exp:
        console.print(f"Stop it with: tunelab stop {safe(exp)}")


@app.command()
@handle_errors
def resume(
    experiment_id: Annotated[str, typer.Argument(help="Experiment to resume.")],
    port: PortOpt = 8080,
    host: HostOpt = "127.0.0.1",
    token: TokenOpt = None,
    foreground: Annotated[bool, typer.Option("--foreground", "-f")] = False,
) -> None:
    """Resume a stopped or crashed experiment: finished trials are kept, the tuner warm-starts from them."""
    _reopen(experiment_id, Mode.RESUME, port=port, host=host, token=token, foreground=foreground)


@app.command()
@handle_errors
def view(
    experiment_id: Annotated[str, typer.Argument(help="Experiment to open read-only.")],
    port: PortOpt = 8080,
    host: HostOpt = "127.0.0.1",
    token: TokenOpt = None,
    foreground: Annotated[bool, typer.Option("--foreground", "-f")] = False,
) -> None:
    """Serve a finished experiment's UI read-only (no trials run, nothing changes)."""
    _reopen(experiment_id, Mode.VIEW, port=port, host=host, token=token, foreground=foreground)


def _reopen(experiment_id: str, mode: Mode, *, port: int, host: str, token: str | None, foreground: bool) -> None:
    if foreground:
        from tunelab.client import server_settings
        from tunelab.manager import open_session
        from tunelab.server import bind_socket

        settings = server_settings(host, port, token)
        sock = bind_socket(host, port)
        try:
            session = open_session(experiment_id, mode=mode, keep_serving=False)
        except BaseException:
            sock.close()
            raise
        status, worked = asyncio.run(_host_with_progress(session, sock, settings, quiet=False))
        raise typer.Exit(exit_code_for(status, any_worked=worked) if mode == Mode.RESUME else 0)
    args = ["--mode", mode.value, "--id", experiment_id, "--port", str(check_port(port)), "--host", host]
    if token:
        args += ["--token", token]
    info = spawn_manager(args, experiments_root() / "_managers.log")
    _print_started(info, experiment_id, runs_trials=mode == Mode.RESUME)


@app.command("_serve", hidden=True)
def serve_detached(
    mode: Annotated[str, typer.Option("--mode")],
    ready_fd: Annotated[int | None, typer.Option("--ready-fd")] = None,
    config: Annotated[Path | None, typer.Option("--config")] = None,
    experiment_id: Annotated[str | None, typer.Option("--id")] = None,
    port: Annotated[int, typer.Option("--port")] = 8080,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    token: Annotated[str | None, typer.Option("--token")] = None,
) -> None:
    """Internal: the detached manager process started by create/resume/view."""
    from tunelab.client import host_session, server_settings
    from tunelab.manager import create_session, open_session
    from tunelab.server import bind_socket

    try:
        settings = server_settings(host, port, token)
        sock = bind_socket(host, port)
        if mode == Mode.CREATE.value:
            from tunelab.config import parse_config

            assert config is not None
            cfg = parse_config(json.loads(config.read_text(encoding="utf-8")))
            session = create_session(cfg, experiment_id=experiment_id, keep_serving=True)
        else:
            assert experiment_id is not None
            session = open_session(experiment_id, mode=Mode(mode), keep_serving=True)
    except TunelabError as exc:
        report_error(ready_fd, exc)
        raise typer.Exit(exc.exit_code) from None
    os.environ[_env.MANAGER_EXPERIMENT] = session.experiment_id

    def ready(info: ManagerInfo) -> None:
        report_ready(ready_fd, info)

    try:
        status = asyncio.run(host_session(session, sock, settings, on_ready=ready))
    except TunelabError as exc:  # e.g. no Dask worker offers the GPUs: recorded as the experiment's ERROR
        err_console.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    raise typer.Exit(0 if status != ExperimentStatus.ERROR else 1)
