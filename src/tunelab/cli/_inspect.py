"""Commands that look at or steer an existing experiment: list, show, trial, best, export, log, update,
stop, delete. They talk to the live manager's REST API, or read the database when no manager runs."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tunelab.base import ConflictError, InvalidInputError, NotFoundError, json_encode
from tunelab.cli._common import (
    app,
    clip,
    console,
    err_console,
    fmt_duration,
    fmt_value,
    handle_errors,
    print_json,
    resolve_experiment_id,
    trial_app,
)
from tunelab.client import LiveBackend, connect, for_terminal, safe
from tunelab.manager import experiments_root, find_experiment_dir, nni_json_text, read_info
from tunelab.trial import ExperimentStatus, TrialState

IdArg = Annotated[str | None, typer.Argument(help="Experiment id (default: the only running one).")]
#: The reading commands: with nothing running, they read the experiment written last (saying so on stderr).
ReadIdArg = Annotated[str | None, typer.Argument(
    help="Experiment id (default: the only running one; with none running, the one written last).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("list")
@handle_errors
def list_experiments(
    all_: Annotated[bool, typer.Option("--all", "-a", help="Include stopped and finished experiments.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List experiments under the experiments directory (running ones unless --all)."""
    from tunelab.storage import scan_experiments

    root = experiments_root()
    rows: list[dict[str, Any]] = []
    for listing in scan_experiments(root) if root.is_dir() else []:
        info = read_info(listing.directory)
        record = listing.record
        hint = _dead_manager_hint(listing.directory.name, record.status.value if record else None, info is not None)
        if not all_ and info is None and hint is None:
            continue
        rows.append({
            "id": listing.directory.name,
            "name": record.name if record else None,
            "status": record.status.value if record else "UNREADABLE",
            "running": info is not None,
            "url": info.url if info else None,
            "trials": listing.trial_total,
            "failed": listing.trial_counts.get(TrialState.FAILED, 0),
            "best": listing.best_final,
            "created_at": record.created_at if record else None,
            "error": listing.error,
            "hint": hint,
        })
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No experiments running." if not all_ else f"No experiments under {safe(root)}.")
        return
    table = Table("id", "name", "status", "trials", "failed", "best", "url")
    for row in rows:
        failed = f"[red]{row['failed']}[/]" if row["failed"] else "0"
        table.add_row(safe(row["id"]), fmt_value(None if row["name"] is None else clip(row["name"], 60)), safe(row["status"]), str(row["trials"]), failed,
                      fmt_value(row["best"]), safe(row["url"] or "-"))
    console.print(table)
    for row in rows:
        if row["hint"]:
            err_console.print(f"{row['id']}: {row['hint']}", markup=False, highlight=False)


def _dead_manager_hint(experiment_id: str, status: str | None, live: bool) -> str | None:
    """The stored status says a manager runs it, but none holds the experiment's lock: it was killed (or
    its machine went down) before it could record how it ended."""
    if live or status is None or not ExperimentStatus(status).is_active:
        return None
    return f"manager not running; tunelab resume {experiment_id}"


@app.command()
@handle_errors
def show(experiment_id: ReadIdArg = None, as_json: JsonOpt = False) -> None:
    """Status, trial counts and best result of an experiment."""
    backend = connect(resolve_experiment_id(experiment_id, latest=True))
    try:
        data = backend.experiment()
        importance = backend.importance()
    finally:
        backend.close()
    hint = _dead_manager_hint(backend.experiment_id, data.get("status"), backend.live)
    if as_json:
        print_json({**data, "manager_running": backend.live, "hint": hint, "importance": importance})
        return
    console.print(f"[bold]{safe(data['id'])}[/] {safe(clip(data.get('name') or ''))}  "
                  f"status: [bold]{safe(data['status'])}[/]", highlight=False)
    if hint:
        console.print(f"[yellow]{safe(hint)}[/]", highlight=False)
    if data.get("error"):
        console.print(f"[red]error:[/] {safe(data['error'], newlines=True)}", markup=True, highlight=False)
    counts = ", ".join(f"{k.lower()} {v}" for k, v in data["counts"].items() if v)
    console.print(f"trials: {counts or 'none'}   elapsed: {fmt_duration(data.get('elapsed'))}")
    _print_failures(data)
    pareto = data.get("pareto")
    best = data.get("best")
    if pareto:
        _print_front(pareto)
    elif best:
        console.print(f"best ({data['optimize_mode']}): {fmt_value(best['final'])} "
                      f"trial {best['id']} (#{best['sequence']}) {json.dumps(json_encode(best['parameters'], default=str))}",
                      markup=False, highlight=False)
    ranked = [row for row in importance.get("importance", []) if row["importance"] > 0]
    if ranked:
        shares = ", ".join(f"{row['key']} {row['importance']:.0%}" for row in ranked[:8])
        console.print(f"parameter importance (share of explained variance): {shares}", markup=False,
                      highlight=False)


def _print_front(pareto: dict[str, Any]) -> None:
    """The Pareto front as a table: one row per trial, one column per objective, then the parameters."""
    objectives = pareto["objectives"]
    names = [o["name"] for o in objectives if o.get("mode")]
    axes = ", ".join(f"{o['name']} {o['mode']}" + (f" {o['constraint']}" if o.get("constraint") else "")
                     for o in objectives if o.get("mode"))
    bounds = [f"{o['name']} {o['constraint']}" for o in objectives if not o.get("mode")]
    extra = f"; constraints: {', '.join(bounds)}" if bounds else ""
    front = pareto["front"]
    if not front:
        console.print(f"pareto front ({axes}{extra}): no trial has every objective yet", markup=False, highlight=False)
        return
    infeasible = "" if front[0]["feasible"] else "  [no trial meets the constraints: the closest are shown]"
    console.print(f"pareto front ({axes}{extra}): {len(front)} of {pareto['eligible']} trials{infeasible}",
                  markup=False, highlight=False)
    table = Table("#", "id", *names, "parameters")
    for point in front:
        table.add_row(str(point["sequence_id"]), safe(point["trial_id"]),
                      *(fmt_value(point["values"][name]) for name in names),
                      safe(json.dumps(json_encode(point["parameters"], default=str))))
    console.print(table)


def _print_failures(data: dict[str, Any]) -> None:
    from tunelab.manager import summary_from_json

    summary = summary_from_json(data.get("failures"))
    if summary is None:
        return
    finished = sum(n for state, n in data["counts"].items() if state not in ("WAITING", "RUNNING"))
    head, command = summary.lines(finished)
    console.print(f"[yellow]failures:[/] {safe(head, newlines=True)}", highlight=False, soft_wrap=True)
    console.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)


@trial_app.command("ls")
@handle_errors
def trial_ls(
    experiment_id: ReadIdArg = None,
    head: Annotated[int | None, typer.Option("--head", help="Best N completed trials.")] = None,
    tail: Annotated[int | None, typer.Option("--tail", help="Worst N completed trials.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List trials (with --head/--tail: completed trials ranked by the default metric)."""
    if head is not None and tail is not None:
        raise InvalidInputError("--head and --tail: give only one of them")
    for option, count in (("--head", head), ("--tail", tail)):
        if count is not None and count < 1:
            raise InvalidInputError(f"{option}: must be a positive number of trials, got {count}")
    backend = connect(resolve_experiment_id(experiment_id, latest=True))
    try:
        trials = backend.trials()
        mode = backend.experiment()["optimize_mode"]
    finally:
        backend.close()
    if head is not None or tail is not None:
        ranked = [t for t in trials if isinstance(t.get("final"), (int, float))]
        ranked.sort(key=lambda t: t["final"] if mode == "minimize" else -t["final"])
        trials = ranked[:head] if head is not None else (ranked[-tail:] if tail else [])
    if as_json:
        print_json(trials)
        return
    table = Table("#", "id", "status", "final", "duration", "parameters")
    for trial in trials:
        table.add_row(str(trial["sequence"]), safe(trial["id"]), safe(trial["status"]), fmt_value(trial["final"]),
                      fmt_duration(trial["duration"]),
                      safe(json.dumps(json_encode(trial["parameters"], default=str))))
    console.print(table)


@trial_app.command("kill")
@handle_errors
def trial_kill(
    experiment_id: IdArg = None,
    trial_id: Annotated[str | None, typer.Argument(help="Trial id.")] = None,
    trial_option: Annotated[str | None, typer.Option("--trial_id", "--trial-id", "-T", help="Trial id (nnictl style).")] = None,
) -> None:
    """Kill a running trial (USER_CANCELED)."""
    trial_id = trial_id or trial_option
    if not trial_id:
        raise InvalidInputError("trial kill: give the trial id, e.g. `tunelab trial kill EXP_ID TRIAL_ID` or -T TRIAL_ID")
    backend = _live(resolve_experiment_id(experiment_id))
    try:
        trial = backend.request("POST", f"/trials/{trial_id}/kill")
    finally:
        backend.close()
    console.print(f"trial {safe(trial['id'])}: {safe(trial['status'])}")


@app.command()
@handle_errors
def best(experiment_id: ReadIdArg = None, as_json: JsonOpt = False) -> None:
    """The best trial as JSON: parameters, value, trial_id, sequence_id (``--json`` is accepted, as by every
    data command; the output is JSON either way). With several objectives: the Pareto set, as
    ``{"objectives", "front": [{parameters, values, value, feasible, trial_id, sequence_id}], ...}``."""
    backend = connect(resolve_experiment_id(experiment_id, latest=True))
    try:
        result = backend.best()
    finally:
        backend.close()
    if result is None:
        raise NotFoundError("no trial has a final result yet")
    print_json(result)


@app.command()
@handle_errors
def export(
    experiment_id: ReadIdArg = None,
    type_: Annotated[str, typer.Option("--type", "-t", help="json or csv.")] = "json",
    filename: Annotated[Path | None, typer.Option("--filename", "-f", help="Write to this file.")] = None,
    intermediate: Annotated[bool, typer.Option("--intermediate", "-i", help="Include intermediate results.")] = False,
) -> None:
    """Export trial results in NNI's JSON or CSV shape."""
    if type_ not in ("json", "csv"):
        raise InvalidInputError(f"--type: must be json or csv, got {type_!r}")
    if filename is not None:
        _check_output_file(filename)  # before the export: a wrong path fails at once, with the fix
    backend = connect(resolve_experiment_id(experiment_id, latest=True))
    try:
        data = backend.export(type_, intermediate)
    finally:
        backend.close()
    # One line, spelled as `nnictl experiment export` writes it; strict JSON (docs/json.md).
    text = data if isinstance(data, str) else nni_json_text(data)
    if filename is not None:
        try:
            filename.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(f"--filename: cannot write {str(filename)!r} ({exc.strerror}); "
                                    "choose a writable file path") from None
        console.print(f"exported to {safe(filename)}")
    else:
        # A CSV cell may hold a trial's escape sequences: shown, not obeyed, on a terminal (pipes get bytes).
        typer.echo(for_terminal(text, sys.stdout), nl=not text.endswith("\n"))


@app.command()
@handle_errors
def log(
    experiment_id: ReadIdArg = None,
    trial: Annotated[str | None, typer.Option("--trial", "-T", help="Trial id (default: the manager log).")] = None,
    stderr: Annotated[bool, typer.Option("--stderr", help="The trial's stderr instead of stdout.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="stdout, stderr or trial.log.")] = None,
    tail: Annotated[int | None, typer.Option(
        "--tail", help="Only the last N lines of the manager log (of a trial's log: the last N bytes).")] = None,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="Keep printing the manager log while its manager runs.")] = False,
) -> None:
    """Print the experiment's manager log (<experiment>/log/manager.log), or with --trial a trial's stdout
    (--stderr, --name trial.log)."""
    exp_id = resolve_experiment_id(experiment_id, latest=True)
    if trial is None:
        from tunelab.cli._manager_log import print_manager_log

        print_manager_log(exp_id, tail=tail, follow=follow)
        return
    if follow:
        raise InvalidInputError("--follow: only the manager log can be followed; drop --trial, or drop -f")
    backend = connect(exp_id)
    try:
        text = backend.log(trial, name or ("stderr" if stderr else "stdout"), tail)
    finally:
        backend.close()
    typer.echo(text, nl=not text.endswith("\n"))


UPDATE_FIELDS = {
    "concurrency": "trialConcurrency",
    "trialnum": "maxTrialNumber",
    "duration": "maxExperimentDuration",
    "searchspace": "searchSpace",
}


@app.command()
@handle_errors
def update(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id.")],
    what: Annotated[str, typer.Argument(help="concurrency | trialnum | duration | searchspace")],
    value: Annotated[str, typer.Argument(help="New value (searchspace: a JSON/YAML file).")],
) -> None:
    """Change a running experiment: concurrency, max trial number, max duration or search space."""
    field = UPDATE_FIELDS.get(what.lower())
    if field is None:
        raise InvalidInputError(f"update: unknown field {what!r}; use one of {', '.join(UPDATE_FIELDS)}")
    body: dict[str, Any] = {field: _update_value(what.lower(), value)}
    backend = _live(experiment_id)
    try:
        answer = backend.request("PATCH", "/experiment", json=body)
    finally:
        backend.close()
    console.print(f"updated {field} of {safe(experiment_id)}")
    for warning in answer.get("warnings", []) if isinstance(answer, dict) else []:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


def _check_output_file(path: Path) -> None:
    """A file path ``export`` can write: its folder exists and it is not itself a folder."""
    if path.is_dir():
        raise InvalidInputError(f"--filename: {str(path)!r} is a directory; give a file path inside it, "
                                f"e.g. {str(path / 'export.json')!r}")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise InvalidInputError(f"--filename: the folder {str(parent)!r} does not exist; create it first "
                                f"(mkdir -p {parent}) or choose another path")


def _update_value(what: str, value: str) -> Any:
    if what in ("concurrency", "trialnum"):
        try:
            return int(value)
        except ValueError:
            raise InvalidInputError(f"{what}: must be a positive integer, got {value!r}") from None
    if what == "searchspace":
        from tunelab.space import load_search_space

        return load_search_space(Path(value)).to_nni()
    return int(value) if value.isdigit() else value


@app.command()
@handle_errors
def stop(
    experiment_id: IdArg = None,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Stop every running experiment.")] = False,
) -> None:
    """Stop an experiment's manager (running trials are killed)."""
    if all_:
        root = experiments_root()
        ids = [d.name for d in sorted(root.iterdir()) if d.is_dir() and read_info(d)] if root.is_dir() else []
    else:
        ids = [resolve_experiment_id(experiment_id)]
    if not ids:
        console.print("No experiment is running.")
        return
    for exp_id in ids:
        backend = _live(exp_id)
        try:
            backend.stop()
        finally:
            backend.close()
        console.print(f"stopped {safe(exp_id)}")


@app.command()
@handle_errors
def delete(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Delete a stopped experiment's directory (database, trial outputs, logs)."""
    exp_dir = find_experiment_dir(experiment_id)
    if read_info(exp_dir) is not None:
        raise ConflictError(f"experiment {experiment_id} is running; `tunelab stop {experiment_id}` first")
    if not yes and not typer.confirm(f"Delete {exp_dir} and everything in it?"):
        raise typer.Exit(1)
    shutil.rmtree(exp_dir)
    console.print(f"deleted {safe(experiment_id)}")


def _live(experiment_id: str) -> LiveBackend:
    backend = connect(experiment_id)
    if not isinstance(backend, LiveBackend):
        backend.close()
        raise ConflictError(
            f"experiment {experiment_id} is not running; start it again with `tunelab resume {experiment_id}`"
        )
    return backend
