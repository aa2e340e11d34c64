"""`tunelab tensorboard`: TensorBoard over the chosen trials' $TUNELAB_TENSORBOARD_DIR folders."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from typing import Annotated

import typer

from tunelab.base import NotFoundError
from tunelab.cli._common import app, console, handle_errors, port_option, resolve_experiment_id
from tunelab.client import connect, safe
from tunelab.manager import (
    TENSORBOARD_INSTALL_HINT,
    TENSORBOARD_PORT,
    find_experiment_dir,
    logdirs,
    select_trials,
    tensorboard_argv,
    tensorboard_installed,
)


@app.command()
@handle_errors
def tensorboard(
    experiment_id: Annotated[str | None, typer.Argument(help="Experiment id (default: the only running one; with none running, the one written last).")] = None,
    trials: Annotated[str | None, typer.Option(
        "--trials", help="Trial numbers or ids, comma-separated (default: every trial with TensorBoard files).")] = None,
    port: Annotated[int, typer.Option(
        "--port", "-p", callback=port_option, help="Port on 127.0.0.1 (0: any free port).")] = TENSORBOARD_PORT,
) -> None:
    """Start TensorBoard on 127.0.0.1 over the trials' TensorBoard folders ($TUNELAB_TENSORBOARD_DIR), until
    Ctrl-C (nnictl tensorboard start)."""
    if not tensorboard_installed():
        raise NotFoundError(f"tensorboard: not installed for {sys.executable}; {TENSORBOARD_INSTALL_HINT}")
    exp_id = resolve_experiment_id(experiment_id, latest=True)
    backend = connect(exp_id)
    try:
        stored = backend.trials()
    finally:
        backend.close()
    chosen = select_trials(stored, trials)
    named = logdirs(find_experiment_dir(exp_id), chosen, explicit=trials is not None)
    port = port or _free_port()
    argv = tensorboard_argv(named, port=port)
    console.print(f"TensorBoard for experiment {safe(exp_id)} ({len(named)} trials: "
                  f"{safe(', '.join(named))}): http://127.0.0.1:{port}/  (Ctrl-C stops it)", highlight=False,
                  soft_wrap=True)
    process = subprocess.Popen(argv)
    # `tunelab stop`-style SIGTERM to this command ends TensorBoard too, rather than orphaning it.
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        code = process.wait()
    raise typer.Exit(0 if code in (0, -2, -15) else code)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
