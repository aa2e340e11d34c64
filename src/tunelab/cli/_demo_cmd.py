"""`tunelab demo`: the embedded default workload."""

from __future__ import annotations

from typing import Annotated

import typer

from tunelab.cli._common import app, console, handle_errors, port_option


@app.command()
@handle_errors
def demo(
    trials: Annotated[int, typer.Option("--trials", help="Tuned trials after the baseline.")] = 20,
    concurrency: Annotated[int, typer.Option("--concurrency", help="Trials at a time.")] = 2,
    port: Annotated[int, typer.Option("--port", "-p", callback=port_option, help="Port of the web UI.")] = 8080,
    seed: Annotated[int | None, typer.Option("--seed", help="Tuner seed, for a reproducible run.")] = None,
) -> None:
    """Tune the seed tutorial's MLP on scikit-learn's digits with TPE and print baseline vs best."""
    from tunelab.demo import run_demo

    raise typer.Exit(run_demo(trials=trials, concurrency=concurrency, port=port, seed=seed, console=console))
