"""Shared CLI plumbing: the typer app, error handling and output helpers."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from tunelab.base import ConflictError, NotFoundError, TunelabError, json_dumps
from tunelab.client import SafeConsole, safe

F = TypeVar("F", bound=Callable[..., Any])

# Every string printed through these has its control characters made visible (see tunelab.client); user values put
# into markup go through safe() as well.
console = SafeConsole()
err_console = SafeConsole(stderr=True)

app = typer.Typer(
    name="tunelab",
    help="tunelab: hyperparameter tuning with NNI-compatible configs, live web UI, local or Dask trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
trial_app = typer.Typer(help="Try a trial script, inspect and kill trials (nnictl trial).", no_args_is_help=True)
app.add_typer(trial_app, name="trial")


def _print_version(value: bool) -> None:
    if value:
        from tunelab import __version__

        typer.echo(f"tunelab {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", "-v", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """tunelab: hyperparameter tuning with NNI-compatible configs, live web UI, local or Dask trials."""
    from tunelab.manager import apply_file_umask

    # Before any command writes: experiments, their databases and logs, and (inherited by managers and
    # trials) trial outputs are private to this user unless $TUNELAB_UMASK shares them.
    try:
        apply_file_umask()
    except TunelabError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def handle_errors(func: F) -> F:
    """Turn a TunelabError into a one-line message and its exit code: no traceback for user mistakes."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TunelabError as exc:
            err_console.print(f"[bold red]error:[/] {safe(exc.message, newlines=True)}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def port_option(value: int) -> int:
    """Typer callback for every --port: 0..65535, refused with the value and the fix (exit 2)."""
    from tunelab.base import check_port

    try:
        return check_port(value)
    except TunelabError as exc:
        raise typer.BadParameter(exc.message.removeprefix("--port: ")) from None


def print_json(data: Any) -> None:
    sys.stdout.write(json_dumps(data, indent=2, default=str, ascii_only=True) + "\n")  # strict JSON, NaN as "NaN"


def resolve_experiment_id(experiment_id: str | None, *, latest: bool = False) -> str:
    """The given id, or the only running experiment when none is given (nnictl's convenience).

    ``latest``: for commands that only read, with nothing running, the experiment written to last (what a
    user just ran: ``tunelab run`` then ``tunelab best``), said on stderr so --json output stays clean.
    """
    from tunelab.manager import experiments_root, read_info

    if experiment_id is not None:  # an empty id is a mistake, not "the running one"
        from tunelab.manager import validate_experiment_id

        return validate_experiment_id(experiment_id)

    root = experiments_root()
    running = [d.name for d in sorted(root.iterdir()) if d.is_dir() and read_info(d) is not None] if root.is_dir() else []
    if len(running) == 1:
        return running[0]
    if not running and latest and (last := _last_written(root)) is not None:
        err_console.print(f"note: no experiment is running; this is the latest, {last} (give an id for another)",
                          markup=False, highlight=False, soft_wrap=True)
        return last
    if not running:
        raise NotFoundError("no experiment is running; give an experiment id (`tunelab list --all` shows them)")
    raise ConflictError(f"several experiments are running ({', '.join(running)}); give the id of one")


def _last_written(root: Path) -> str | None:
    """The experiment directory whose contents changed last (its database, log or pointer file)."""
    from tunelab.manager import validate_experiment_id

    def written(directory: Path) -> float:
        return max((p.stat().st_mtime for p in (directory, *directory.glob("*")) if p.exists()), default=0.0)

    if not root.is_dir():
        return None
    candidates = []
    for directory in root.iterdir():
        if not directory.is_dir():
            continue
        try:
            candidates.append((written(directory), validate_experiment_id(directory.name)))
        except (TunelabError, OSError):  # not an experiment directory (a stray file or folder)
            continue
    return max(candidates)[1] if candidates else None


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters for a terminal: Rich wraps one long word in quadratic time
    (an 80,000-character experiment name kept `tunelab show` busy for 73 s). --json prints it whole."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def fmt_value(value: Any) -> str:
    """A value for a table cell or a markup template (a string is passed through :func:`safe`)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return safe(value)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
