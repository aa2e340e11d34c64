"""NNI-specific commands: ``import-nni`` (an NNI experiment directory becomes a tunelab experiment) and
``import`` (``nnictl experiment import``: add results from a JSON or CSV file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tunelab.base import ConflictError
from tunelab.cli._common import app, console, err_console, handle_errors, resolve_experiment_id
from tunelab.client import safe
from tunelab.trial import Trial


@app.command("import-nni")
@handle_errors
def import_nni(
    path: Annotated[Path, typer.Argument(help="NNI experiment directory, e.g. ~/nni-experiments/<id>.")],
    experiment_id: Annotated[str | None, typer.Option("--id", help="tunelab id (default: NNI's id).")] = None,
    code_dir: Annotated[Path | None, typer.Option(
        "--code-dir", "-c", help="Where the trial code lives now (replaces trialCodeDirectory).")] = None,
    no_logs: Annotated[bool, typer.Option("--no-logs", help="Do not copy the trials' stdout/stderr/trial.log.")] = False,
) -> None:
    """Turn an NNI experiment directory (db/nni.sqlite + trial folders) into a tunelab experiment.

    view, best, export and the UI read it; resume continues it with the tuner warm-started from its history.
    """
    from tunelab.compat import import_nni_experiment

    summary = import_nni_experiment(path, experiment_id=experiment_id, code_dir=code_dir, copy_logs=not no_logs)
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/] {safe(warning, newlines=True)}", markup=True, highlight=False)
    console.print(f"[green]Imported[/] NNI experiment as [bold]{safe(summary.experiment_id)}[/]: "
                  f"{summary.trials} trials, {summary.metrics} metrics ({safe(summary.experiment_dir)})")
    console.print(f"Look at it: tunelab view {summary.experiment_id}   Continue it: "
                  f"tunelab resume {summary.experiment_id}")


@app.command("import")
@handle_errors
def import_results(
    experiment_id: Annotated[str | None, typer.Argument(help="Experiment id (default: the only running one).")] = None,
    filename: Annotated[Path, typer.Option(
        "--filename", "-f", help='JSON [{"parameter": {...}, "value": 0.9}, ...] or an export CSV.')] = Path(),
) -> None:
    """Add results from a JSON or CSV file as IMPORTED trials (nnictl experiment import).

    The experiment must not be running: stop it, import, then resume; its tuner learns from the results.
    """
    from tunelab.manager import ManagerLock, find_experiment_dir

    if filename == Path():
        raise typer.BadParameter("give the results file with --filename/-f", param_hint="--filename")
    exp_id = resolve_experiment_id(experiment_id)
    exp_dir = find_experiment_dir(exp_id)
    lock = ManagerLock(exp_dir)
    try:
        lock.acquire(exp_id)
    except ConflictError as exc:
        raise ConflictError(f"experiment {exp_id} is running; stop it (`tunelab stop {exp_id}`), import, "
                            f"then `tunelab resume {exp_id}` so its tuner learns from the results") from exc
    try:
        trials, outside = _import_into(exp_id, exp_dir, filename)
    finally:
        lock.release()
    console.print(f"[green]Imported[/] {len(trials)} results into {safe(exp_id)} as IMPORTED trials")
    if outside:
        err_console.print(f"[yellow]warning:[/] {outside} imported parameter sets lie outside the search "
                          "space; tuners may ignore them", markup=True, highlight=False)


def _import_into(exp_id: str, exp_dir: Path, filename: Path) -> tuple[list[Trial], int]:
    """Write the results (the caller holds the manager lock). Returns the new trials and how many of them
    lie outside the search space."""
    from tunelab.client import storage_of
    from tunelab.compat import add_imported_results, load_results
    from tunelab.config import parse_config
    from tunelab.space import parse_search_space
    from tunelab.storage import open_store

    store = open_store(storage_of(exp_dir), exp_id)
    try:
        config = parse_config(dict(store.get_experiment().config))
        raw_space = config.resolved_search_space() or {}
        records = load_results(filename, list(raw_space))
        trials = add_imported_results(store, records)
    finally:
        store.close()
    space = parse_search_space(raw_space)
    return trials, sum(1 for t in trials if space.contains(dict(t.parameters)))


@app.command("save")
@handle_errors
def save(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id.")],
    path: Annotated[Path | None, typer.Option("--path", "-p", help="Archive to write (default: ./<id>.zip).")] = None,
    save_code_dir: Annotated[bool, typer.Option(
        "--save-code-dir", "-s", help="Also pack the trial code directory.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the archive file if it exists.")] = False,
) -> None:
    """Pack a stopped experiment into a zip to move it to another machine (nnictl experiment save)."""
    from tunelab.compat import save_experiment
    from tunelab.manager import ManagerLock, find_experiment_dir

    exp_dir = find_experiment_dir(experiment_id)
    lock = ManagerLock(exp_dir)
    try:
        lock.acquire(experiment_id)
    except ConflictError as exc:
        raise ConflictError(f"experiment {experiment_id} is running; stop it before saving it") from exc
    try:
        archive = save_experiment(exp_dir, path or Path(f"{experiment_id}.zip"), include_code=save_code_dir,
                                  force=force)
    finally:
        lock.release()
    console.print(f"[green]Saved[/] {safe(experiment_id)} to {safe(archive)}")


@app.command("load")
@handle_errors
def load(
    path: Annotated[Path, typer.Option("--path", "-p", help="Archive written by `tunelab save`.")],
    code_dir: Annotated[Path | None, typer.Option(
        "--code-dir", "-c", help="Where to unpack the packed trial code (default: ./<id>-code).")] = None,
) -> None:
    """Unpack an experiment saved by `tunelab save` under the experiments directory (nnictl experiment load)."""
    from tunelab.compat import load_experiment

    exp_id, code = load_experiment(path, code_dir=code_dir)
    console.print(f"[green]Loaded[/] experiment {safe(exp_id)}" + (f" (trial code in {safe(code)})" if code else ""))
    console.print(f"Look at it: tunelab view {exp_id}   Continue it: tunelab resume {exp_id}")
