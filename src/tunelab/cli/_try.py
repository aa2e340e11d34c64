"""`tunelab trial try`: run one trial outside any experiment, to check a script before tuning it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from tunelab.base import InvalidInputError
from tunelab.base import env as _env
from tunelab.cli._common import handle_errors, trial_app
from tunelab.compat import trial_environment
from tunelab.manager import venv_path_env

TRY_ID = "try"


@trial_app.command("try")
@handle_errors
def trial_try(
    target: Annotated[str, typer.Argument(help="A trial script (train.py) or a trial command (\"python3 train.py --fast\").")],
    params: Annotated[str | None, typer.Option("--params", help="Parameters as a JSON object.")] = None,
    space: Annotated[Path | None, typer.Option("--space", help="Search space file to sample the parameters from.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the --space sample.")] = None,
    objectives: Annotated[str | None, typer.Option(
        "--objectives", help="The experiment's objectives, e.g. \"accuracy:maximize,latency_ms:minimize\": the "
        "final result must be a dict holding each.")] = None,
) -> None:
    """Run a trial once, outside any experiment, printing each report as it arrives and its exit status.

    The trial sees the `nni` shim and the parameters given with --params (or sampled from --space), exactly
    as inside an experiment (with --objectives, as in a multi-objective one). The exit code is the trial's.
    """
    parameters = _parameters(params, space, seed)
    required = _objectives(objectives)
    command = _command(target)
    typer.echo(f"trial try: {command}")
    typer.echo(f"parameters: {json.dumps(parameters)}")
    code = _run(command, parameters, required)
    typer.echo(f"trial exited {code}")
    space_hint = f"searchSpaceFile: {space}" if space is not None else "a searchSpaceFile"
    typer.echo(f"next: put `trialCommand: {command}` and {space_hint} in a config, then start the "
               f"experiment with `tunelab run config.yml`")
    raise typer.Exit(code)


def _objectives(text: str | None) -> list[str]:
    """The keys the final result must hold, primary first, from the option's comma-separated entries."""
    if text is None:
        return []
    from tunelab.base import ConfigError
    from tunelab.objectives import parse_objectives

    try:
        spec = parse_objectives([part.strip() for part in text.split(",") if part.strip()], field="--objectives")
    except ConfigError as exc:
        raise InvalidInputError(f"{exc.message}; e.g. --objectives accuracy:maximize,latency_ms:minimize") from exc
    assert spec is not None
    return list(spec.required)


def _parameters(params: str | None, space: Path | None, seed: int | None) -> dict[str, Any]:
    if params is not None and space is not None:
        raise InvalidInputError("--params and --space: give only one of them")
    if params is not None:
        try:
            value = json.loads(params)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(
                f"--params: not valid JSON ({exc.msg} at character {exc.pos}), got {params!r}; "
                "give a JSON object, e.g. --params '{\"lr\": 0.01}'"
            ) from None
        if not isinstance(value, dict):
            raise InvalidInputError(
                f"--params: must be a JSON object, got {params!r}; e.g. --params '{{\"lr\": 0.01}}'"
            )
        return value
    if space is not None:
        import numpy as np

        from tunelab.space import load_search_space

        sample = load_search_space(space).sample(np.random.default_rng(seed))
        return dict(json.loads(json.dumps(sample, default=_plain)))
    return {}


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _command(target: str) -> str:
    path = Path(target)
    if target.endswith(".py") and path.is_file():
        # A bare script runs with this Python, the one that has tunelab (and, usually, the user's packages).
        return f"{shlex.quote(sys.executable)} {shlex.quote(target)}"
    if target.endswith(".py") and " " not in target.strip():
        raise InvalidInputError(
            f"trial try: {target}: no such file in {Path.cwd()}; give the trial script's path, or a command"
        )
    if not target.strip():
        raise InvalidInputError("trial try: give a trial script or command, e.g. `tunelab trial try train.py`")
    return target


def _run(command: str, parameters: dict[str, Any], objectives: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="tunelab-try-") as tmp:
        metrics = Path(tmp) / _env.METRICS_FILE_NAME
        metrics.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_"))}
        env.update(trial_environment(env))
        env.update(venv_path_env(env))  # `python3` in the command is this venv's, as in an experiment
        env.update({
            _env.TRIAL_ID: TRY_ID, _env.EXPERIMENT_ID: TRY_ID, _env.SEQUENCE_ID: "0",
            _env.PARAMETERS: json.dumps(parameters), _env.METRICS_FILE: str(metrics),
            _env.OUTPUT_DIR: os.getcwd(), _env.PLATFORM: "local",
        })
        if objectives:
            env[_env.OBJECTIVES] = json.dumps(objectives)
        process = subprocess.Popen(["/bin/sh", "-c", command], env=env)
        with metrics.open("rb") as feed:
            # The trial appends each report to the metrics file; following it is all a single run needs.
            while process.poll() is None:
                _print_reports(feed)
                time.sleep(0.05)
            _print_reports(feed)
    return process.returncode if process.returncode >= 0 else 128 - process.returncode


def _print_reports(feed: Any) -> None:
    for line in feed.readlines():
        if not line.endswith(b"\n"):
            feed.seek(-len(line), os.SEEK_CUR)  # a line still being written: read it whole next time
            return
        report = json.loads(line)
        value = json.dumps(report["value"])
        if report["kind"] == "FINAL":
            typer.echo(f"report: final {value}")
        else:
            typer.echo(f"report: intermediate #{report['seq']} {value}")
        sys.stdout.flush()
