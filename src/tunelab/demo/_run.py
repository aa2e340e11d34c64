"""`tunelab demo`: run the seed workflow end to end and print baseline vs best."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from typing import Any

from rich.console import Console

from tunelab.config import ExperimentConfig

#: The seed tutorial's search space, verbatim in NNI's format.
SEARCH_SPACE: dict[str, Any] = {
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "hidden_size1": {"_type": "choice", "_value": [128, 256, 512, 1024]},
    "hidden_size2": {"_type": "choice", "_value": [128, 256, 512, 1024]},
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "momentum": {"_type": "uniform", "_value": [0, 1]},
}
#: The seed's hand-picked parameters: run first, as trial 0, to measure the improvement against.
BASELINE: dict[str, Any] = {"batch_size": 32, "hidden_size1": 128, "hidden_size2": 128, "lr": 0.001, "momentum": 0.5}


def demo_config(*, trials: int, concurrency: int, seed: int | None) -> ExperimentConfig:
    config = ExperimentConfig.for_platform("local")
    config.experiment_name = "demo: digits MLP (seed search space)"
    config.search_space = dict(SEARCH_SPACE)
    config.trial_command = f"{_quote(sys.executable)} -m tunelab.demo.digits_trial"
    config.trial_code_directory = tempfile.gettempdir()
    config.trial_concurrency = concurrency
    config.max_trial_number = trials
    config.max_trial_duration = "5m"
    assert config.tuner is not None
    config.tuner.name = "TPE"
    config.tuner.class_args["optimize_mode"] = "maximize"
    # NNI's default of 20 random start-up trials would leave TPE little to do in a 3-minute demo.
    config.tuner.class_args["tpe_args"] = {"n_startup_jobs": max(4, trials // 3)}
    if seed is not None:
        config.tuner.class_args["seed"] = seed
    return config


def run_demo(*, trials: int = 20, concurrency: int = 2, port: int = 8080, seed: int | None = None,
             console: Console | None = None) -> int:
    """Run the demo in the foreground; returns the process exit code."""
    from tunelab.client import ProgressView, host_session, server_settings
    from tunelab.manager import ManagerInfo, best_trial, create_session
    from tunelab.server import PortInUseError, bind_socket

    console = console or Console()
    config = demo_config(trials=trials, concurrency=concurrency, seed=seed)
    config.validate()
    try:
        sock = bind_socket("127.0.0.1", port)
    except PortInUseError:
        sock = bind_socket("127.0.0.1", 0)
        console.print(f"[yellow]port {port} is taken; serving the UI on port {sock.getsockname()[1]} instead[/]")
    session = create_session(config)
    manager = session.manager
    assert manager is not None
    baseline, _ = manager.add_customized_trial(BASELINE)
    record = session.store.get_experiment()
    session.store.update_experiment(extra={**dict(record.extra), "baseline_trial": baseline.id})
    console.print(f"Tuning a {len(SEARCH_SPACE)}-parameter MLP on digits with TPE: baseline first, then "
                  f"{trials} tuned trials, {concurrency} at a time.")
    store_dir = session.experiment_dir
    view = ProgressView(session, console=console)

    def ready(info: ManagerInfo) -> None:
        view.announce(info)
        view.start()

    settings = server_settings("127.0.0.1", sock.getsockname()[1], None)
    status = asyncio.run(host_session(session, sock, settings, on_ready=ready, on_finish=view.stop))
    from tunelab.storage import open_store

    store = open_store(store_dir, session.experiment_id, readonly=True)
    try:
        base = store.get_trial(baseline.id)
        best = best_trial(store, "maximize")
    finally:
        store.close()
    _print_summary(console, session.experiment_id, base, best)
    return 0 if status.value in ("DONE", "NO_MORE_TRIAL", "TUNER_NO_MORE_TRIAL") else 1


def _print_summary(console: Console, experiment_id: str, base: Any, best: Any) -> None:
    console.print()
    if base.final is not None:
        console.print(f"baseline (trial #0, the seed's parameters): accuracy {base.final:.4f}  {BASELINE}",
                      markup=False, highlight=False)
    else:
        console.print(f"baseline trial ended {base.status.value} without a result: {base.message}")
    if best is None:
        console.print("[red]no trial produced a result[/]")
        return
    console.print(f"best     (trial #{best.sequence}, found by TPE):      accuracy {best.final:.4f}  "
                  f"{dict(best.parameters)}", markup=False, highlight=False)
    if base.final is not None:
        gain = best.final - base.final
        console.print(f"[bold green]improvement: {gain * 100:+.1f} accuracy points[/] "
                      f"({base.final:.1%} -> {best.final:.1%})")
    console.print(f"See it all: tunelab view {experiment_id}   |   best parameters: tunelab best {experiment_id}")


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)
